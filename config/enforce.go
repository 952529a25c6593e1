package config

import (
	"encoding/json"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// Who enforces a policy. Coze applies a token's scope only for channel
// apps (渠道, "OAuth JWT 授权（渠道场景）"); a developer's own JWT app gets
// tokens with every permission it was authorized for, whatever scope is
// sent. So for an app that is not a channel app, a policy's scope, bot
// ids and paths hold only when cozeauth itself forwards the calls: such a
// policy must be gateway_only, so that no caller ever holds a raw token.

// checkEnforcement refuses a policy that restricts what Coze would not
// enforce for one of its apps, unless it is gateway_only.
func checkEnforcement(prefix string, p *policy.Policy, apps []*App, e *errs) {
	if p.GatewayOnly {
		return
	}
	for _, a := range apps {
		if a.Channel {
			continue
		}
		var what []string
		if p.MaxScope != nil && !sameScope(p.MaxScope, a.Scope) {
			what = append(what, "a scope narrower than the app's (permissions, bots, workspaces or workflows)")
		}
		if p.Paths != nil {
			what = append(what, "the API paths it may call")
		}
		if p.Public {
			what = append(what, "public visitors (who must never hold a full-permission token)")
		}
		if len(what) == 0 {
			continue
		}
		e.add(prefix+"gateway_only",
			"set gateway_only: true so callers go through the gateway, which enforces the policy; or mark the app channel: true if Coze enforces scopes for it (a channel app, 渠道)",
			"the policy limits %s, but app %q is not a channel app: Coze ignores scope for it, so a raw token from /token would carry every permission the app has",
			strings.Join(what, " and "), a.Name)
	}
}

// sameScope reports whether a and b restrict exactly alike.
func sameScope(a, b *coze.Scope) bool {
	if a == nil || b == nil {
		return a == b
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}
