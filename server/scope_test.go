package server

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// serveAccess returns a fixture serving acc (clients get fresh keys, in
// order, returned by name); edit may change the config first.
func serveAccess(t *testing.T, acc config.Access, edit func(*config.Config)) (*fixture, map[string]string) {
	t.Helper()
	f := newFixture(t)
	keys := map[string]string{}
	for i := range acc.Clients {
		key, hash, err := policy.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		acc.Clients[i].Hash = hash
		keys[acc.Clients[i].Name] = key
	}
	if acc.Cookie.SameSite == "" {
		acc.Cookie.SameSite = "lax"
	}
	f.cfg.Access = acc
	if edit != nil {
		edit(f.cfg)
	}
	s := mustNew(t, f.cfg, f.b, Options{Log: f.logger, Audit: f.logger})
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	f.server = s
	return f, keys
}

// fullScope restricts every dimension Coze knows.
func fullScope() *coze.Scope {
	s := botScope([]string{"Connector.botChat", "Bot.read"}, "7001", "7002")
	s.WorkspacePermission = &coze.WorkspacePermission{WorkspaceIDList: []string{"w1", "w2"}, PermissionList: []string{"read"}}
	s.WorkflowPermission = &coze.WorkflowPermission{WorkflowIDList: []string{"f1"}, PermissionList: []string{"run"}}
	return s
}

// restrictions reads a scope object as JSON decoded it: every list, by
// path.
func restrictions(t *testing.T, scope map[string]any) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(prefix+"."+k, x)
			}
		case []any:
			l := []string{}
			for _, x := range v {
				l = append(l, fmt.Sprint(x))
			}
			out[prefix] = l
		case nil:
			out[prefix] = nil
		default:
			t.Fatalf("unexpected %s = %v in a scope", prefix, v)
		}
	}
	walk("", scope)
	return out
}

func scopeMap(t *testing.T, s *coze.Scope) map[string]any {
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

// TestUpstreamScopeKeepsEveryRestriction: whatever part of a scope a caller
// leaves out or empties, in every session mode, every grant the emulated
// Coze receives carries every restriction of the policy's scope (or, for a
// policy without one, the app's): each list present, non-empty and within
// the policy's. Before, a scope naming only bot ids (or an empty
// permission_list) reached Coze with no permission restriction at all.
func TestUpstreamScopeKeepsEveryRestriction(t *testing.T) {
	max := fullScope()
	acc := config.Access{
		Policies: []policy.Policy{
			{Name: "trust", Apps: []string{"good"}, Session: policy.SessionTrust, MaxScope: max},
			{Name: "prefix", Apps: []string{"good"}, Session: policy.SessionPrefix, MaxScope: max},
			{Name: "fixed", Apps: []string{"good"}, Session: policy.SessionFixed, SessionValue: "kiosk", MaxScope: max},
			{Name: "defaulted", Apps: []string{"good"}}, // no scope, no session: the app's scope, prefix
			{Name: "widget", Apps: []string{"good"}, Public: true, Origins: []string{shopOrigin}, Session: policy.SessionCookie, MaxScope: max},
			{Name: "widget-defaulted", Apps: []string{"good"}, Public: true, Origins: []string{"https://other.example"}, MaxScope: max},
		},
		Clients: []policy.Client{{Name: "t", Policy: "trust"}, {Name: "p", Policy: "prefix"}, {Name: "x", Policy: "fixed"}, {Name: "d", Policy: "defaulted"}},
	}
	f, keys := serveAccess(t, acc, func(c *config.Config) { c.Apps[0].Scope = fullScope() })
	callers := map[string]map[string]string{
		"trust": bearer(keys["t"]), "prefix": bearer(keys["p"]), "fixed": bearer(keys["x"]), "defaulted": bearer(keys["d"]),
		"widget": {"Origin": shopOrigin}, "widget-defaulted": {"Origin": "https://other.example"},
	}
	bodies := []struct {
		body string
		ok   bool
	}{
		{"", true},
		{`{}`, true},
		{`{"scope":{}}`, true},
		{`{"scope":{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}}`, true},
		{`{"scope":{"attribute_constraint":{}}}`, true},
		{`{"scope":{"account_permission":{"permission_list":["Bot.read"]}}}`, true},
		{`{"scope":{"account_permission":{}}}`, true},
		{`{"scope":{"workspace_permission":{"workspace_id_list":["w2"]}}}`, true},
		{`{"scope":{"workflow_permission":{"permission_list":["run"]}}}`, true},
		{`{"scope":{"account_permission":{"permission_list":[]}}}`, false},
		{`{"scope":{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}}`, false},
		{`{"scope":{"workspace_permission":{"workspace_id_list":[],"permission_list":["read"]}}}`, false},
		{`{"scope":{"workflow_permission":{"workflow_id_list":["f1"],"permission_list":[]}}}`, false},
	}
	want := restrictions(t, scopeMap(t, max))
	for name, hdr := range callers {
		for i, b := range bodies {
			h := with(hdr)
			if name != "fixed" && name != "widget" && name != "widget-defaulted" {
				h["X-User-ID"] = fmt.Sprintf("u%d", i)
			}
			before := len(f.emu.Grants())
			status, _, data := f.do(t, "POST", "/token", b.body, h)
			switch {
			case b.ok && status != 200:
				t.Fatalf("%s %s: status %d %s", name, b.body, status, data)
			case !b.ok && (status != 403 || decode[errAnswer](t, data).Error.Code != "scope_not_allowed"):
				t.Fatalf("%s %s: status %d %s, want 403 scope_not_allowed", name, b.body, status, data)
			case !b.ok && len(f.emu.Grants()) != before:
				t.Fatalf("%s %s: a refused scope reached Coze", name, b.body)
			}
		}
	}
	grants := f.emu.Grants()
	if len(grants) < len(callers)*3 {
		t.Fatalf("only %d grants reached the emulator", len(grants))
	}
	for _, g := range grants {
		got := restrictions(t, g.ScopeObject())
		for path, allowed := range want {
			l, ok := got[path]
			if !ok || len(l) == 0 {
				t.Fatalf("session %q: grant scope %s lacks %s (the policy restricts it to %q)", g.Session, g.Scope, path, allowed)
			}
			for _, v := range l {
				if !slices.Contains(allowed, v) {
					t.Fatalf("session %q: grant scope %s: %s holds %q beyond the policy's %q", g.Session, g.Scope, path, v, allowed)
				}
			}
		}
		for path := range got {
			if _, ok := want[path]; !ok {
				t.Fatalf("session %q: grant scope %s carries %s the policy does not grant", g.Session, g.Scope, path)
			}
		}
	}
}

// TestPolicyWithoutScopeGetsTheAppScope: an omitted policy scope means the
// app's configured scope, never "any": asking beyond it is refused, and
// asking nothing sends the app's scope upstream.
func TestPolicyWithoutScopeGetsTheAppScope(t *testing.T) {
	acc := config.Access{
		Policies: []policy.Policy{{Name: "bare", Apps: []string{"good"}}},
		Clients:  []policy.Client{{Name: "c", Policy: "bare"}},
	}
	f, keys := serveAccess(t, acc, func(c *config.Config) {
		c.Apps[0].Scope = botScope([]string{"Connector.botChat"}, "7001")
		c.Apps[0].Duration = 600
	})
	status, _, data := f.do(t, "POST", "/token", `{"scope":{"account_permission":{"permission_list":["Bot.publish"]}}}`, bearer(keys["c"]))
	if status != 403 || decode[errAnswer](t, data).Error.Code != "scope_not_allowed" {
		t.Fatalf("a scope beyond the app's: %d %s", status, data)
	}
	if status, _, data := f.do(t, "POST", "/token", `{"duration_seconds":601}`, bearer(keys["c"])); status != 403 {
		t.Fatalf("a duration beyond the app's: %d %s", status, data)
	}
	if status, _, data := f.do(t, "POST", "/token", "", bearer(keys["c"])); status != 200 {
		t.Fatalf("status %d %s", status, data)
	}
	g, _ := f.emu.LastGrant()
	if string(g.Scope) != `{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}` || g.Duration != 600 {
		t.Fatalf("grant scope %s duration %d, want the app's", g.Scope, g.Duration)
	}
}
