package policy

import (
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// sc parses a scope written as the wire JSON, for readable tables.
func sc(js string) *coze.Scope {
	var s coze.Scope
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		panic("bad scope in test: " + err.Error())
	}
	return &s
}

const (
	chat7001       = `{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`
	chatBoth       = `{"account_permission":{"permission_list":["Connector.botChat","File.upload"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001","7002"]}}}`
	chatUpload7002 = `{"account_permission":{"permission_list":["File.upload"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7002"]}}}`
)

// backendPolicy is a typical key-holding policy: two apps, a bot-limited
// scope with a narrower default, an hour at most, prefixed sessions.
func backendPolicy() Policy {
	return Policy{
		Name:            "backend",
		Apps:            []string{"main", "batch"},
		MaxScope:        sc(chatBoth),
		DefaultScope:    sc(chat7001),
		MaxDuration:     3600,
		DefaultDuration: 600,
		Session:         SessionPrefix,
	}
}

func with(p Policy, f func(*Policy)) Policy {
	f(&p)
	return p
}

func TestDecide(t *testing.T) {
	backend := backendPolicy()
	open := Policy{Name: "open"} // no apps, no scope, trust, no max
	cases := []struct {
		name string
		p    Policy
		in   Input
		// want is compared field by field when deny is "".
		want Decision
		// deny is the expected Denied code; status its HTTP status.
		deny   string
		status int
		// msgHas must appear in the refusal message.
		msgHas string
	}{
		// Apps.
		{name: "default app is the first listed", p: backend, in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 600}},
		{name: "another listed app", p: backend, in: Input{Client: "c", App: "batch"},
			want: Decision{App: "batch", Session: "c:default", Scope: sc(chat7001), Duration: 600}},
		{name: "unlisted app", p: backend, in: Input{Client: "c", App: "other"}, deny: "app_not_allowed", status: 403, msgHas: `"other"`},
		{name: "app names are case-sensitive", p: backend, in: Input{Client: "c", App: "Main"}, deny: "app_not_allowed", status: 403},
		{name: "app name with a trailing space", p: backend, in: Input{Client: "c", App: "main "}, deny: "app_not_allowed", status: 403},
		{name: "no apps listed: any app", p: open, in: Input{App: "anything"}, want: Decision{App: "anything"}},
		{name: "no apps listed, none asked: server default", p: open, in: Input{}, want: Decision{}},

		// Scope.
		{name: "no scope asked: the default scope", p: backend, in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 600}},
		{name: "no scope asked, no default: the policy's scope", p: with(backend, func(p *Policy) { p.DefaultScope = nil }), in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatBoth), Duration: 600}},
		{name: "no scope asked, no scope at all: the app's", p: open, in: Input{}, want: Decision{}},
		{name: "the whole policy scope", p: backend, in: Input{Client: "c", Scope: sc(chatBoth)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatBoth), Duration: 600}},
		{name: "a narrower scope is kept as asked, not widened", p: backend, in: Input{Client: "c", Scope: sc(chatUpload7002)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatUpload7002), Duration: 600}},
		{name: "escalation: extra permission", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "Bot.publish",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat","Bot.publish"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`)}},
		{name: "escalation: other bot", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "7009",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001","7009"]}}}`)}},
		{name: "escalation: dropping the bot limit", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "bot_id_list",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]}}`)}},
		{name: "escalation: empty bot list", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "bot_id_list",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`)}},
		{name: "escalation: adding workspace permission", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "workspace_permission",
			in: Input{Client: "c", Scope: sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}},"workspace_permission":{"workspace_id_list":["1"],"permission_list":["x"]}}`)}},
		{name: "escalation: adding workflow permission", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "workflow_permission",
			in: Input{Client: "c", Scope: sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}},"workflow_permission":{"workflow_id_list":["1"],"permission_list":["x"]}}`)}},
		{name: "escalation: permission differing in case", p: backend, deny: "scope_not_allowed", status: 403,
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["connector.botchat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`)}},
		{name: "no policy scope: any scope as asked", p: open, in: Input{Scope: sc(chatBoth)}, want: Decision{Scope: sc(chatBoth)}},

		// Duration.
		{name: "no duration asked: the policy default", p: backend, in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 600}},
		{name: "no duration anywhere: left to the app", p: open, in: Input{}, want: Decision{}},
		{name: "duration below the max is kept", p: backend, in: Input{Client: "c", Duration: 60},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 60}},
		{name: "duration at the max", p: backend, in: Input{Client: "c", Duration: 3600},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 3600}},
		{name: "duration above the max is refused, not clamped", p: backend, in: Input{Client: "c", Duration: 3601},
			deny: "duration_not_allowed", status: 403, msgHas: "3600"},
		{name: "huge duration", p: backend, in: Input{Client: "c", Duration: math.MaxInt}, deny: "duration_not_allowed", status: 403},
		{name: "no policy max: Coze's max", p: open, in: Input{Duration: coze.MaxDuration}, want: Decision{Duration: coze.MaxDuration}},
		{name: "no policy max: above Coze's max", p: open, in: Input{Duration: coze.MaxDuration + 1}, deny: "duration_not_allowed", status: 403},

		// Session: trust.
		{name: "trust: the caller's session", p: open, in: Input{Session: "alice", SessionGiven: true}, want: Decision{Session: "alice"}},
		{name: "trust: no session given", p: open, in: Input{Session: "ignored"}, want: Decision{}},
		{name: "trust: explicit empty session", p: open, in: Input{SessionGiven: true}, want: Decision{}},
		{name: "trust: not prefixed even with a client", p: with(open, func(p *Policy) { p.Session = SessionTrust }),
			in: Input{Client: "backend-1", Session: "backend-2:alice", SessionGiven: true}, want: Decision{Session: "backend-2:alice"}},

		// Session: prefix.
		{name: "prefix: client name and session", p: backend, in: Input{Client: "backend-1", Session: "alice", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1:alice", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: no session given", p: backend, in: Input{Client: "backend-1"},
			want: Decision{App: "main", Session: "backend-1:default", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: explicit empty session", p: backend, in: Input{Client: "backend-1", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1:default", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: cannot borrow another client's prefix", p: backend, in: Input{Client: "backend-1", Session: "backend-2:alice", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1:backend-2:alice", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: cannot repeat its own prefix away", p: backend, in: Input{Client: "backend-1", Session: ":alice", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1::alice", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: anonymous caller refused", p: backend, in: Input{Session: "alice", SessionGiven: true},
			deny: "session_not_allowed", status: 403},

		// Session: fixed.
		{name: "fixed: the caller's session is ignored", p: Policy{Session: SessionFixed, SessionValue: "shared"},
			in: Input{Client: "c", Session: "alice", SessionGiven: true}, want: Decision{Session: "shared"}},
		{name: "fixed: anonymous", p: Policy{Session: SessionFixed, SessionValue: "shared"}, in: Input{}, want: Decision{Session: "shared"}},

		// Session: cookie.
		{name: "cookie: the visitor's cookie", p: Policy{Session: SessionCookie, Public: true},
			in: Input{CookieSession: "v123", Session: "admin", SessionGiven: true}, want: Decision{Session: "visitor:v123"}},
		{name: "cookie: without a cookie", p: Policy{Session: SessionCookie, Public: true},
			in: Input{Session: "admin", SessionGiven: true}, deny: "session_not_allowed", status: 403},

		// A broken policy.
		{name: "unknown session mode", p: Policy{Name: "odd", Session: "mystery"}, in: Input{}, deny: "bad_policy", status: 500, msgHas: "mystery"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := tc.p.Decide(tc.in)
			if tc.deny != "" {
				var den *Denied
				if !errors.As(err, &den) {
					t.Fatalf("Decide = %+v, %v; want a *Denied %s", d, err, tc.deny)
				}
				if den.Code != tc.deny || den.Status != tc.status {
					t.Errorf("denied %d %s, want %d %s (%s)", den.Status, den.Code, tc.status, tc.deny, den.Msg)
				}
				if den.Msg == "" || den.Error() != den.Msg || !strings.Contains(den.Msg, tc.msgHas) {
					t.Errorf("message %q, Error() %q: want non-empty and containing %q", den.Msg, den.Error(), tc.msgHas)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if d.App != tc.want.App || d.Session != tc.want.Session || d.Duration != tc.want.Duration {
				t.Errorf("Decide = app %q session %q duration %d, want app %q session %q duration %d",
					d.App, d.Session, d.Duration, tc.want.App, tc.want.Session, tc.want.Duration)
			}
			if !reflect.DeepEqual(d.Scope, tc.want.Scope) {
				t.Errorf("scope = %s, want %s", js(d.Scope), js(tc.want.Scope))
			}
			if tc.p.MaxScope != nil {
				if why := Subset(d.Scope, tc.p.MaxScope); why != "" {
					t.Errorf("granted scope exceeds the policy: %s", why)
				}
			}
		})
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDecideKeepsCallerScope: an allowed scope is handed out as the very
// value asked for; the policy's scope is never substituted for it.
func TestDecideKeepsCallerScope(t *testing.T) {
	p := backendPolicy()
	asked := sc(chatUpload7002)
	d, err := p.Decide(Input{Client: "c", Scope: asked})
	if err != nil {
		t.Fatal(err)
	}
	if d.Scope != asked {
		t.Errorf("scope %s replaced by %s", js(asked), js(d.Scope))
	}
	if !reflect.DeepEqual(p.MaxScope, sc(chatBoth)) || !reflect.DeepEqual(p.DefaultScope, sc(chat7001)) {
		t.Error("Decide changed the policy's scopes")
	}
}

// TestPrefixSessionsNeverCollide: under SessionPrefix, whatever sessions
// two differently named clients send, they never land in one Coze session.
// Client names are config-validated (no ':'), so the prefix is
// unambiguous.
func TestPrefixSessionsNeverCollide(t *testing.T) {
	p := backendPolicy()
	clients := []string{"a", "b", "backend", "backend-1", "backend-2", "backend-1.x", "b_1"}
	var sessions []string
	for _, c := range clients {
		sessions = append(sessions, c, c+":", c+":alice", ":"+c, c+"::alice", "default", c+":default")
	}
	sessions = append(sessions, "", "alice", ":", "::", "a:b:c", "\x00", "visitor:x")
	owner := map[string]string{}
	for _, c := range clients {
		for _, s := range sessions {
			for _, given := range []bool{true, false} {
				d, err := p.Decide(Input{Client: c, Session: s, SessionGiven: given})
				if err != nil {
					t.Fatalf("client %q session %q: %v", c, s, err)
				}
				if !strings.HasPrefix(d.Session, c+":") {
					t.Errorf("client %q session %q: got %q without the client's prefix", c, s, d.Session)
				}
				if o, ok := owner[d.Session]; ok && o != c {
					t.Errorf("clients %q and %q share session %q", o, c, d.Session)
				}
				owner[d.Session] = c
			}
		}
	}
}

func TestClampDuration(t *testing.T) {
	cases := []struct {
		name       string
		max        int
		decided    int
		appDefault int
		want       int
	}{
		{"decided duration kept", 3600, 600, 900, 600},
		{"app default under the max", 3600, 0, 900, 900},
		{"app default at the max", 900, 0, 900, 900},
		{"app default above the max is capped", 3600, 0, 7200, 3600},
		{"no policy max: app default", 0, 0, 7200, 7200},
		{"no policy max, Coze max default", 0, 0, coze.MaxDuration, coze.MaxDuration},
		{"negative counts as unset", 3600, -5, 900, 900},
		{"negative with app default above max", 3600, -5, 7200, 3600},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Policy{MaxDuration: tc.max}
			d := Decision{Duration: tc.decided, App: "a", Session: "s"}
			p.ClampDuration(&d, tc.appDefault)
			if d.Duration != tc.want {
				t.Errorf("ClampDuration(%d, app %d, max %d) = %d, want %d", tc.decided, tc.appDefault, tc.max, d.Duration, tc.want)
			}
			if d.App != "a" || d.Session != "s" {
				t.Errorf("ClampDuration changed other fields: %+v", d)
			}
		})
	}
}

// TestDecideThenClamp: through both steps, whatever the caller asks, the
// duration handed out is positive and within the policy's max.
func TestDecideThenClamp(t *testing.T) {
	p := backendPolicy()
	p.DefaultDuration = 0
	for _, asked := range []int{0, 1, 600, 3600, 3601, coze.MaxDuration} {
		for _, appDefault := range []int{1, 900, 3600, 7200, coze.MaxDuration} {
			d, err := p.Decide(Input{Client: "c", Duration: asked})
			if err != nil {
				if asked <= p.MaxDuration {
					t.Errorf("asked %d: %v", asked, err)
				}
				continue
			}
			p.ClampDuration(&d, appDefault)
			if d.Duration < 1 || d.Duration > p.MaxDuration {
				t.Errorf("asked %d, app default %d: got %d", asked, appDefault, d.Duration)
			}
			if asked != 0 && d.Duration != asked {
				t.Errorf("asked %d: got %d", asked, d.Duration)
			}
		}
	}
}

func TestAllowsOrigin(t *testing.T) {
	p := Policy{Origins: []string{"https://shop.example", "http://localhost:3000"}}
	cases := []struct {
		origin string
		want   bool
	}{
		{"https://shop.example", true},
		{"http://localhost:3000", true},
		{"http://shop.example", false},
		{"https://shop.example:443", false},
		{"https://shop.example/", false},
		{"https://evil.shop.example", false},
		{"https://shop.example.evil", false},
		{"https://SHOP.example", false},
		{"http://localhost:3001", false},
		{"null", false},
		{"", false},
		{"*", false},
	}
	for _, tc := range cases {
		if got := p.AllowsOrigin(tc.origin); got != tc.want {
			t.Errorf("AllowsOrigin(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	none := Policy{}
	for _, o := range []string{"", "https://shop.example", "null", "*"} {
		if none.AllowsOrigin(o) {
			t.Errorf("a policy without origins allows %q", o)
		}
	}
}

func TestSubset(t *testing.T) {
	ws := `{"workspace_permission":{"workspace_id_list":["w1","w2"],"permission_list":["read","run"]}}`
	wf := `{"workflow_permission":{"workflow_id_list":["f1","f2"],"permission_list":["run"]}}`
	all := `{"account_permission":{"permission_list":["p1","p2"]},"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["read"]},"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`
	cases := []struct {
		name    string
		req     *coze.Scope
		allowed *coze.Scope
		ok      bool
		whyHas  string
	}{
		{"nil allowed permits nil", nil, nil, true, ""},
		{"nil allowed permits anything", sc(all), nil, true, ""},
		{"nil request asks for everything", nil, sc(all), false, "full permissions"},
		{"empty request", sc(`{}`), sc(all), true, ""},
		{"equal", sc(all), sc(all), true, ""},
		{"equal, with bots", sc(chatBoth), sc(chatBoth), true, ""},
		{"account: fewer", sc(`{"account_permission":{"permission_list":["p2"]}}`), sc(all), true, ""},
		{"account: empty list", sc(`{"account_permission":{"permission_list":[]}}`), sc(all), true, ""},
		{"account: extra", sc(`{"account_permission":{"permission_list":["p1","p3"]}}`), sc(all), false, `"p3"`},
		{"account: not granted at all", sc(`{"account_permission":{"permission_list":["p1"]}}`), sc(ws), false, "account_permission.permission_list is not allowed"},
		{"account: duplicates of allowed", sc(`{"account_permission":{"permission_list":["p1","p1"]}}`), sc(all), true, ""},
		{"workspace: narrower", sc(`{"workspace_permission":{"workspace_id_list":["w2"],"permission_list":["run"]}}`), sc(ws), true, ""},
		{"workspace: other workspace", sc(`{"workspace_permission":{"workspace_id_list":["w3"],"permission_list":["run"]}}`), sc(ws), false, "workspace_id_list"},
		{"workspace: other permission", sc(`{"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["admin"]}}`), sc(ws), false, `"admin"`},
		{"workspace: not granted", sc(`{"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["read"]}}`), sc(wf), false, "workspace_permission is not allowed"},
		{"workflow: narrower", sc(`{"workflow_permission":{"workflow_id_list":["f2"],"permission_list":["run"]}}`), sc(wf), true, ""},
		{"workflow: other workflow", sc(`{"workflow_permission":{"workflow_id_list":["f9"],"permission_list":["run"]}}`), sc(wf), false, "workflow_id_list"},
		{"workflow: other permission", sc(`{"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["edit"]}}`), sc(wf), false, `"edit"`},
		{"workflow: not granted", sc(`{"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`), sc(ws), false, "workflow_permission is not allowed"},
		{"bots: one of the allowed", sc(chat7001), sc(chatBoth), true, ""},
		{"bots: other bot", sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7003"]}}}`), sc(chatBoth), false, `"7003"`},
		{"bots: missing constraint", sc(`{"account_permission":{"permission_list":["Connector.botChat"]}}`), sc(chatBoth), false, "bot_id_list"},
		{"bots: empty attribute", sc(`{"attribute_constraint":{}}`), sc(chatBoth), false, "bot_id_list"},
		{"bots: empty list", sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`), sc(chatBoth), false, "bot_id_list"},
		{"bots: request may add a restriction", sc(`{"account_permission":{"permission_list":["p1"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["x"]}}}`), sc(all), true, ""},
		{"bots: good bots do not excuse a bad permission", sc(`{"account_permission":{"permission_list":["Bot.publish"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`), sc(chatBoth), false, `"Bot.publish"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			why := Subset(tc.req, tc.allowed)
			if (why == "") != tc.ok {
				t.Fatalf("Subset(%s, %s) = %q, want ok=%v", js(tc.req), js(tc.allowed), why, tc.ok)
			}
			if !strings.Contains(why, tc.whyHas) {
				t.Errorf("reason %q does not mention %q", why, tc.whyHas)
			}
		})
	}
}
