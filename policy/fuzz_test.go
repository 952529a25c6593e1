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
// one per session mode (explicit and defaulted) plus two broken ones.
func fuzzPolicy(sel uint8) Policy {
	switch sel % 8 {
	case 0:
		return Policy{Name: "noapps"} // config refuses it; Decide allows nothing
	case 1:
		return backendPolicy()
	case 2:
		return Policy{Name: "kiosk", Apps: []string{"main"}, Session: SessionFixed, SessionValue: "kiosk", MaxDuration: 900,
			MaxScope: sc(`{"workspace_permission":{"workspace_id_list":["w1","w2"],"permission_list":["read"]},"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`)}
	case 3:
		return Policy{Name: "shop", Apps: []string{"main"}, Public: true, Session: SessionCookie, Origins: []string{"https://shop.example"},
			MaxScope: sc(chat7001), MaxDuration: 600, DefaultDuration: 300}
	case 4:
		return Policy{Name: "partners", Apps: []string{"main"}, DefaultDuration: 900} // session omitted: prefix
	case 5:
		return Policy{Name: "trusted", Apps: []string{"main", "batch"}, Session: SessionTrust, SessionContext: true}
	case 6:
		return Policy{Name: "widget", Apps: []string{"main"}, Public: true, MaxScope: sc(chatBoth)} // session omitted: cookie
	default:
		return Policy{Name: "broken", Apps: []string{"main"}, Session: "bogus"}
	}
}

// FuzzDecide evaluates arbitrary requests (and policy and app scopes) and
// checks Decide against an independent statement of the rules: it never
// panics, it allows exactly when app, scope, duration, session and
// session_context are all within the policy, it refuses with the code of
// the first rule broken, and what it grants is within the policy and never
// more than asked. The scope rule, stated exactly: for every dimension the
// policy restricts (its scope, else the app's), the decided scope carries
// a non-empty list within the policy's: the caller's own list when it
// named one, else the policy's; and it grants no dimension the policy
// does not.
func FuzzDecide(f *testing.F) {
	f.Add(uint8(1), "main", "alice", true, 600, []byte(chat7001), "backend-1#00000001", "", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(1), "", "backend-2#00000002:alice", true, 0, []byte(nil), "backend-1#00000001", "", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(1), "batch", "", false, 3601, []byte(chatBoth), "backend-1#00000001", "", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(1), "main", "x", true, 0, []byte(`{"account_permission":{"permission_list":["Bot.publish"]}}`), "backend-1#00000001", "", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(3), "", "admin", true, 0, []byte(nil), "", "v-123", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(3), "", "", false, 0, []byte(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`), "", "v-1", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(3), "", "", false, 0, []byte(`{"account_permission":{"permission_list":[]}}`), "", "v-1", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(2), "main", "", false, 900, []byte(`{"workspace_permission":{"workspace_id_list":["w3"],"permission_list":["read"]}}`), "", "", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(4), "main", "", true, -1, []byte(`{}`), "p#00000000", "", []byte(`{"account_permission":{"permission_list":["a"]}}`), []byte(nil), 900, false, "")
	f.Add(uint8(4), "main", "", false, 0, []byte(nil), "p#00000000", "", []byte(nil), []byte(`{"account_permission":{"permission_list":["a","b"]}}`), 1200, false, "")
	f.Add(uint8(0), "\x00", "\x00\n", true, 1<<62, []byte(`null`), "", "", []byte(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`), []byte(nil), 0, false, "")
	f.Add(uint8(5), "main", "be1#3f9a1c2b:alice", true, 0, []byte(nil), "t#00000000", "", []byte(nil), []byte(nil), 900, true, "")
	f.Add(uint8(5), "main", "kiosk", true, 0, []byte(nil), "t#00000000", "", []byte(nil), []byte(nil), 900, false, "kiosk")
	f.Add(uint8(5), "main", "visitor:v1", true, 0, []byte(nil), "", "", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(6), "", "", false, 0, []byte(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7002"]}}}`), "", "v", []byte(nil), []byte(nil), 900, true, "")
	f.Add(uint8(7), "main", "s", true, 1, []byte(nil), "c", "v", []byte(nil), []byte(nil), 900, false, "")
	f.Add(uint8(3), "Main", "", false, 0, []byte(nil), "", "v", []byte(nil), []byte(nil), 900, false, "")

	f.Fuzz(func(t *testing.T, sel uint8, app, session string, sessionGiven bool, duration int, scopeJSON []byte, client, cookie string,
		policyScopeJSON, appScopeJSON []byte, appDuration int, sessionContext bool, fixed string) {
		var reqScope *coze.Scope
		if len(scopeJSON) > 0 && json.Unmarshal(scopeJSON, &reqScope) != nil {
			return // the server refuses a body it cannot parse
		}
		if appDuration < 0 || appDuration > coze.MaxDuration {
			return // config refuses such an app
		}
		var appScope *coze.Scope
		if len(appScopeJSON) > 0 && json.Unmarshal(appScopeJSON, &appScope) != nil {
			appScope = nil
		}
		defaults := AppDefaults{Scope: appScope, Duration: appDuration}
		build := func() Policy {
			p := fuzzPolicy(sel)
			var ps *coze.Scope
			if len(policyScopeJSON) > 0 && json.Unmarshal(policyScopeJSON, &ps) == nil {
				p.MaxScope = ps
			}
			if p.DefaultScope != nil {
				if _, why := Narrow(p.DefaultScope, cmp.Or(p.MaxScope, appScope)); why != "" {
					p.DefaultScope = nil // config refuses a default beyond the scope
				}
			}
			return p
		}
		p := build()
		in := Input{Client: client, App: app, Session: session, SessionGiven: sessionGiven, CookieSession: cookie, Scope: reqScope,
			Duration: duration, SessionContext: sessionContext}
		if fixed != "" {
			in.FixedSessions = []string{fixed}
		}
		reqBefore, appBefore := js(reqScope), js(appScope)
		d, err := p.Decide(in, defaults)

		if !reflect.DeepEqual(p, build()) || js(reqScope) != reqBefore || js(appScope) != appBefore {
			t.Fatal("Decide changed the policy, the request or the app's defaults")
		}
		if d2, err2 := p.Decide(in, defaults); !reflect.DeepEqual(d, d2) || (err == nil) != (err2 == nil) {
			t.Fatal("Decide is not deterministic")
		}

		wantCode := expectedDenial(&p, in, defaults)
		if err != nil {
			var den *Denied
			if !errors.As(err, &den) {
				t.Fatalf("refusal %v is not a *Denied", err)
			}
			if den.Code != wantCode {
				t.Fatalf("refused with %s (%s), want %q", den.Code, den.Msg, wantCode)
			}
			wantStatus := map[string]int{"bad_policy": 500, "bad_request": 400}[den.Code]
			if wantStatus == 0 {
				wantStatus = 403
			}
			if den.Status != wantStatus {
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
		if !slices.Contains(p.Apps, d.App) {
			t.Fatalf("granted app %q outside %q", d.App, p.Apps)
		}
		if app != "" && d.App != app {
			t.Fatalf("asked app %q, granted %q", app, d.App)
		}

		// Scope: every restriction of the max kept, non-empty, within it,
		// as the caller asked where it asked.
		max := cmp.Or(p.MaxScope, appScope)
		asked := cmp.Or(reqScope, p.DefaultScope)
		if max == nil {
			if js(d.Scope) != js(asked) {
				t.Fatalf("no max scope: asked %s, granted %s", js(asked), js(d.Scope))
			}
		} else {
			if d.Scope == nil {
				t.Fatalf("the policy restricts %s, the decided scope is nil (every permission)", js(max))
			}
			M, A, D := dims(max), dims(asked), dims(d.Scope)
			for dim, ml := range M {
				dl, ok := D[dim]
				if !ok || len(dl) == 0 || !subset(dl, ml) {
					t.Fatalf("the policy restricts %s to %q; the decided scope %s carries %q", dim, ml, js(d.Scope), dl)
				}
				if al, ok := A[dim]; ok && !slices.Equal(dl, al) {
					t.Fatalf("%s: asked %q, granted %q", dim, al, dl)
				} else if !ok && !slices.Equal(dl, ml) {
					t.Fatalf("%s: asked nothing, granted %q, not the policy's %q", dim, dl, ml)
				}
			}
			for dim, dl := range D {
				if _, ok := M[dim]; !ok && (dim != "bot_id_list" || len(dl) == 0 || !slices.Equal(dl, A[dim])) {
					t.Fatalf("granted %s %q that the policy does not grant (%s)", dim, dl, js(max))
				}
			}
		}

		// Duration: as asked, else the default; within the max (the
		// policy's, else the app's), never below 1.
		appD := cmp.Or(appDuration, coze.DefaultDuration)
		maxD := cmp.Or(p.MaxDuration, appD)
		if d.Duration < 1 || d.Duration > maxD {
			t.Fatalf("granted duration %d outside 1..%d", d.Duration, maxD)
		}
		if duration > 0 && d.Duration != duration {
			t.Fatalf("asked duration %d, granted %d", duration, d.Duration)
		}

		// Session, by mode.
		switch p.Mode() {
		case SessionTrust:
			want := ""
			if sessionGiven {
				want = session
			}
			if d.Session != want || strings.Contains(d.Session, ":") || (d.Session != "" && d.Session == fixed) {
				t.Fatalf("trust: session %q, want %q outside every partition", d.Session, want)
			}
		case SessionPrefix:
			rest, ok := strings.CutPrefix(d.Session, client+":")
			if !ok || client == "" {
				t.Fatalf("prefix: client %q got session %q", client, d.Session)
			}
			if want := cmp.Or(session, "default"); rest != want {
				t.Fatalf("prefix: session %q became %q", session, rest)
			}
			// Client identities cannot hold ':', so the session names its
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
		if sessionContext && !p.SessionContext {
			t.Fatal("allowed a session_context the policy does not allow")
		}
	})
}

// expectedDenial states the rules independently of Decide: the code of the
// first one in broken (app, scope, duration, session, session_context),
// or "".
func expectedDenial(p *Policy, in Input, app AppDefaults) string {
	name := in.App
	if name == "" && len(p.Apps) > 0 {
		name = p.Apps[0]
	}
	if !slices.Contains(p.Apps, name) {
		return "app_not_allowed"
	}
	if !scopeAllowed(cmp.Or(in.Scope, p.DefaultScope), cmp.Or(p.MaxScope, app.Scope)) {
		return "scope_not_allowed"
	}
	maxD := cmp.Or(p.MaxDuration, cmp.Or(app.Duration, coze.DefaultDuration))
	if in.Duration > maxD {
		return "duration_not_allowed"
	}
	if in.SessionGiven && in.Session == "" {
		return "bad_request"
	}
	mode := p.Session
	if mode == "" {
		mode = map[bool]SessionMode{true: SessionCookie, false: SessionPrefix}[p.Public]
	}
	switch mode {
	case SessionFixed:
	case SessionTrust:
		if in.SessionGiven && (strings.Contains(in.Session, ":") || slices.Contains(in.FixedSessions, in.Session)) {
			return "session_not_allowed"
		}
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
	if in.SessionContext && !p.SessionContext {
		return "session_context_not_allowed"
	}
	return ""
}

// dims is a scope's restrictions as sets of lists by dimension: a grant
// part names both its lists (nil when missing); bot ids count when listed.
func dims(s *coze.Scope) map[string][]string {
	m := map[string][]string{}
	if s == nil {
		return m
	}
	if a := s.AccountPermission; a != nil {
		m["account"] = a.PermissionList
	}
	if w := s.WorkspacePermission; w != nil {
		m["workspace ids"], m["workspace perms"] = w.WorkspaceIDList, w.PermissionList
	}
	if w := s.WorkflowPermission; w != nil {
		m["workflow ids"], m["workflow perms"] = w.WorkflowIDList, w.PermissionList
	}
	if a := s.AttributeConstraint; a != nil && a.ConnectorBotChatAttribute != nil && a.ConnectorBotChatAttribute.BotIDList != nil {
		m["bot_id_list"] = a.ConnectorBotChatAttribute.BotIDList
	}
	for k, v := range m {
		if v == nil {
			delete(m, k) // a part without the list: asks for nothing there
		}
	}
	return m
}

// scopeAllowed is the scope rule written as sets: with no max, any scope
// without an empty list; else no grant part the max lacks, no empty list,
// every list within the max's, and every max list non-empty.
func scopeAllowed(req, max *coze.Scope) bool {
	R := dims(req)
	for _, l := range R {
		if len(l) == 0 {
			return false
		}
	}
	if max == nil {
		return true
	}
	if req != nil && ((req.AccountPermission != nil && max.AccountPermission == nil) ||
		(req.WorkspacePermission != nil && max.WorkspacePermission == nil) ||
		(req.WorkflowPermission != nil && max.WorkflowPermission == nil)) {
		return false
	}
	// Every list of a part max names must be there and non-empty.
	full := func(parts ...[]string) bool {
		for _, l := range parts {
			if len(l) == 0 {
				return false
			}
		}
		return true
	}
	if a := max.AccountPermission; a != nil && !full(a.PermissionList) {
		return false
	}
	if w := max.WorkspacePermission; w != nil && !full(w.WorkspaceIDList, w.PermissionList) {
		return false
	}
	if w := max.WorkflowPermission; w != nil && !full(w.WorkflowIDList, w.PermissionList) {
		return false
	}
	if a := max.AttributeConstraint; a != nil && a.ConnectorBotChatAttribute != nil && a.ConnectorBotChatAttribute.BotIDList != nil &&
		len(a.ConnectorBotChatAttribute.BotIDList) == 0 {
		return false
	}
	M := dims(max)
	for dim, rl := range R {
		if ml, ok := M[dim]; ok && !subset(rl, ml) {
			return false
		}
	}
	return true
}

func subset(a, b []string) bool {
	for _, v := range a {
		if !slices.Contains(b, v) {
			return false
		}
	}
	return true
}
