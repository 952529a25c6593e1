package policy

import (
	"cmp"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// fuzzPolicy returns a fresh copy of one of a few representative policies,
// one per session mode plus a broken one.
func fuzzPolicy(sel uint8) Policy {
	switch sel % 6 {
	case 0:
		return Policy{Name: "open"}
	case 1:
		return backendPolicy()
	case 2:
		return Policy{Name: "kiosk", Apps: []string{"main"}, Session: SessionFixed, SessionValue: "kiosk", MaxDuration: 900,
			MaxScope: sc(`{"workspace_permission":{"workspace_id_list":["w1","w2"],"permission_list":["read"]},"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`)}
	case 3:
		return Policy{Name: "shop", Apps: []string{"main"}, Public: true, Session: SessionCookie, Origins: []string{"https://shop.example"},
			MaxScope: sc(chat7001), MaxDuration: 600, DefaultDuration: 300}
	case 4:
		return Policy{Name: "partners", Session: SessionPrefix, DefaultDuration: 900}
	default:
		return Policy{Name: "broken", Apps: []string{"main"}, Session: "bogus"}
	}
}

// FuzzDecide evaluates arbitrary requests (and policy scopes) and checks
// Decide against an independent statement of the rules: it never panics,
// it allows exactly when app, scope, duration and session are all within
// the policy, it refuses with the code of the first rule broken, and what
// it grants is within the policy and never more than asked.
func FuzzDecide(f *testing.F) {
	f.Add(uint8(1), "main", "alice", true, 600, []byte(chat7001), "backend-1", "", []byte(nil))
	f.Add(uint8(1), "", "backend-2:alice", true, 0, []byte(nil), "backend-1", "", []byte(nil))
	f.Add(uint8(1), "batch", "", false, 3601, []byte(chatBoth), "backend-1", "", []byte(nil))
	f.Add(uint8(1), "main", "x", true, 0, []byte(`{"account_permission":{"permission_list":["Bot.publish"]}}`), "backend-1", "", []byte(nil))
	f.Add(uint8(3), "", "admin", true, 0, []byte(nil), "", "v-123", []byte(nil))
	f.Add(uint8(2), "main", "", false, 900, []byte(`{"workspace_permission":{"workspace_id_list":["w3"],"permission_list":["read"]}}`), "", "", []byte(nil))
	f.Add(uint8(4), "any", "", true, -1, []byte(`{}`), "p", "", []byte(`{"account_permission":{"permission_list":["a"]}}`))
	f.Add(uint8(0), "\x00", "\x00\n", true, 1<<62, []byte(`null`), "", "", []byte(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`))
	f.Add(uint8(5), "main", "s", true, 1, []byte(nil), "c", "v", []byte(nil))
	f.Add(uint8(3), "Main", "", false, 0, []byte(nil), "", "v", []byte(nil))

	f.Fuzz(func(t *testing.T, sel uint8, app, session string, sessionGiven bool, duration int, scopeJSON []byte, client, cookie string, policyScopeJSON []byte) {
		var reqScope *coze.Scope
		if len(scopeJSON) > 0 && json.Unmarshal(scopeJSON, &reqScope) != nil {
			return // the server refuses a body it cannot parse
		}
		build := func() Policy {
			p := fuzzPolicy(sel)
			var ps *coze.Scope
			if len(policyScopeJSON) > 0 && json.Unmarshal(policyScopeJSON, &ps) == nil {
				p.MaxScope = ps
				if p.DefaultScope != nil && Subset(p.DefaultScope, ps) != "" {
					p.DefaultScope = nil // config refuses a default beyond the scope
				}
			}
			return p
		}
		p := build()
		in := Input{Client: client, App: app, Session: session, SessionGiven: sessionGiven, CookieSession: cookie, Scope: reqScope, Duration: duration}
		d, err := p.Decide(in)

		if !reflect.DeepEqual(p, build()) {
			t.Fatal("Decide changed the policy")
		}
		if d2, err2 := p.Decide(in); !reflect.DeepEqual(d, d2) || (err == nil) != (err2 == nil) {
			t.Fatal("Decide is not deterministic")
		}

		wantCode := expectedDenial(&p, in)
		if err != nil {
			var den *Denied
			if !errors.As(err, &den) {
				t.Fatalf("refusal %v is not a *Denied", err)
			}
			if den.Code != wantCode {
				t.Fatalf("refused with %s (%s), want %q", den.Code, den.Msg, wantCode)
			}
			if wantStatus := map[bool]int{true: 500, false: 403}[den.Code == "bad_policy"]; den.Status != wantStatus {
				t.Fatalf("%s refused with status %d, want %d", den.Code, den.Status, wantStatus)
			}
			if den.Msg == "" || den.Error() != den.Msg || den.RetryAfter != 0 {
				t.Fatalf("refusal %+v lacks a message or carries a RetryAfter", den)
			}
			return
		}
		if wantCode != "" {
			t.Fatalf("allowed %+v, want refused with %s", d, wantCode)
		}

		// App: listed, and as asked.
		if len(p.Apps) > 0 && !slices.Contains(p.Apps, d.App) {
			t.Fatalf("granted app %q outside %q", d.App, p.Apps)
		}
		if app != "" && d.App != app {
			t.Fatalf("asked app %q, granted %q", app, d.App)
		}

		// Scope: within the policy's, and the very scope asked.
		if p.MaxScope != nil {
			if d.Scope == nil || !scopeWithin(d.Scope, p.MaxScope) || Subset(d.Scope, p.MaxScope) != "" {
				t.Fatalf("granted scope %s beyond the policy's %s", js(d.Scope), js(p.MaxScope))
			}
		}
		switch {
		case reqScope != nil && d.Scope != reqScope:
			t.Fatalf("asked scope %s, granted %s", js(reqScope), js(d.Scope))
		case reqScope == nil && p.DefaultScope != nil && d.Scope != p.DefaultScope:
			t.Fatalf("asked no scope, granted %s, not the default", js(d.Scope))
		case reqScope == nil && p.DefaultScope == nil && d.Scope != p.MaxScope:
			t.Fatalf("asked no scope, granted %s, not the policy's", js(d.Scope))
		}

		// Duration: within the max, as asked; then, resolved against any
		// valid app default, between 1 and the max.
		maxD := cmp.Or(p.MaxDuration, coze.MaxDuration)
		if d.Duration > maxD {
			t.Fatalf("granted duration %d over the max %d", d.Duration, maxD)
		}
		if duration != 0 && d.Duration != duration {
			t.Fatalf("asked duration %d, granted %d", duration, d.Duration)
		}
		for _, appDefault := range []int{1, coze.DefaultDuration, coze.MaxDuration} {
			dd := d
			p.ClampDuration(&dd, appDefault)
			if duration > 0 && dd.Duration != duration || dd.Duration < 1 || dd.Duration > maxD {
				t.Fatalf("asked %d, app default %d, max %d: resolved to %d", duration, appDefault, maxD, dd.Duration)
			}
		}

		// Session, by mode.
		switch p.Session {
		case SessionTrust, "":
			want := ""
			if sessionGiven {
				want = session
			}
			if d.Session != want {
				t.Fatalf("trust: session %q, want %q", d.Session, want)
			}
		case SessionPrefix:
			rest, ok := strings.CutPrefix(d.Session, client+":")
			if !ok || client == "" {
				t.Fatalf("prefix: client %q got session %q", client, d.Session)
			}
			if want := cmp.Or(session, "default"); rest != want {
				t.Fatalf("prefix: session %q became %q", session, rest)
			}
			// Client names cannot hold ':', so the session names its
			// client unambiguously: no other client can reach it.
			if !strings.Contains(client, ":") {
				if owner, _, _ := strings.Cut(d.Session, ":"); owner != client {
					t.Fatalf("prefix: session %q reads as client %q's, not %q's", d.Session, owner, client)
				}
			}
		case SessionFixed:
			if d.Session != p.SessionValue {
				t.Fatalf("fixed: session %q, want %q", d.Session, p.SessionValue)
			}
		case SessionCookie:
			if cookie == "" || d.Session != "visitor:"+cookie {
				t.Fatalf("cookie: cookie %q gave session %q", cookie, d.Session)
			}
		default:
			t.Fatalf("allowed under unknown session mode %q", p.Session)
		}
	})
}

// expectedDenial states the rules independently of Decide: the code of the
// first one in broken (app, scope, duration, session), or "".
func expectedDenial(p *Policy, in Input) string {
	app := in.App
	if app == "" && len(p.Apps) > 0 {
		app = p.Apps[0]
	}
	if len(p.Apps) > 0 && !slices.Contains(p.Apps, app) {
		return "app_not_allowed"
	}
	scope := in.Scope
	if scope == nil {
		scope = cmp.Or(p.DefaultScope, p.MaxScope)
	}
	if p.MaxScope != nil && !scopeWithin(scope, p.MaxScope) {
		return "scope_not_allowed"
	}
	if cmp.Or(in.Duration, p.DefaultDuration) > cmp.Or(p.MaxDuration, coze.MaxDuration) {
		return "duration_not_allowed"
	}
	switch p.Session {
	case SessionTrust, "", SessionFixed:
	case SessionPrefix:
		if in.Client == "" {
			return "session_not_allowed"
		}
	case SessionCookie:
		if in.CookieSession == "" {
			return "session_not_allowed"
		}
	default:
		return "bad_policy"
	}
	return ""
}

// scopeWithin is the scope rule written as sets: every grant req names is
// one max names, and when max limits bots, req limits them to some of
// those.
func scopeWithin(req, max *coze.Scope) bool {
	if max == nil {
		return true
	}
	if req == nil {
		return false
	}
	set := func(lists ...[]string) map[string]bool {
		m := map[string]bool{}
		for i, l := range lists {
			for _, v := range l {
				m[string(rune('0'+i))+"\x00"+v] = true
			}
		}
		return m
	}
	le := func(a, b map[string]bool) bool {
		for k := range a {
			if !b[k] {
				return false
			}
		}
		return true
	}
	if r := req.AccountPermission; r != nil {
		if max.AccountPermission == nil || !le(set(r.PermissionList), set(max.AccountPermission.PermissionList)) {
			return false
		}
	}
	if r := req.WorkspacePermission; r != nil {
		m := max.WorkspacePermission
		if m == nil || !le(set(r.WorkspaceIDList, r.PermissionList), set(m.WorkspaceIDList, m.PermissionList)) {
			return false
		}
	}
	if r := req.WorkflowPermission; r != nil {
		m := max.WorkflowPermission
		if m == nil || !le(set(r.WorkflowIDList, r.PermissionList), set(m.WorkflowIDList, m.PermissionList)) {
			return false
		}
	}
	botList := func(s *coze.Scope) []string {
		if s.AttributeConstraint == nil || s.AttributeConstraint.ConnectorBotChatAttribute == nil {
			return nil
		}
		return s.AttributeConstraint.ConnectorBotChatAttribute.BotIDList
	}
	if mb := botList(max); mb != nil {
		rb := botList(req)
		if len(rb) == 0 || !le(set(rb), set(mb)) {
			return false
		}
	}
	return true
}
