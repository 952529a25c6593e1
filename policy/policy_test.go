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

// appDef is the defaults of the app most cases resolve to: no scope of
// its own (full permissions), Coze's 900 s.
var appDef = AppDefaults{Duration: 900}

func TestDecide(t *testing.T) {
	backend := backendPolicy()
	bare := Policy{Name: "bare", Apps: []string{"main"}} // only apps: every other field omitted
	appScoped := AppDefaults{Scope: sc(chatBoth), Duration: 1200}
	cases := []struct {
		name string
		p    Policy
		in   Input
		app  *AppDefaults // nil: appDef
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
		{name: "no apps listed: no app at all", p: Policy{Name: "noapps"}, in: Input{Client: "c", App: "anything"}, deny: "app_not_allowed", status: 403, msgHas: "lists no apps"},
		{name: "no apps listed, none asked: still none", p: Policy{Name: "noapps"}, in: Input{Client: "c"}, deny: "app_not_allowed", status: 403},

		// Omitted fields: the app's defaults, never more.
		{name: "omitted: app scope, app duration, prefix sessions", p: bare, in: Input{Client: "c"}, app: &appScoped,
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatBoth), Duration: 1200}},
		{name: "omitted max_duration: the app's duration is the max", p: bare, in: Input{Client: "c", Duration: 1201}, app: &appScoped,
			deny: "duration_not_allowed", status: 403, msgHas: "1200"},
		{name: "omitted scope: the app's scope is the max", p: bare, in: Input{Client: "c", Scope: sc(`{"workspace_permission":{"workspace_id_list":["w"],"permission_list":["p"]}}`)}, app: &appScoped,
			deny: "scope_not_allowed", status: 403},
		{name: "omitted scope, app without scope: as asked", p: bare, in: Input{Client: "c", Scope: sc(chat7001)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 900}},
		{name: "omitted everything, app without scope or duration", p: bare, in: Input{Client: "c"}, app: &AppDefaults{},
			want: Decision{App: "main", Session: "c:default", Duration: coze.DefaultDuration}},
		{name: "omitted session on a keyed policy is prefix", p: bare, in: Input{Session: "alice", SessionGiven: true},
			deny: "session_not_allowed", status: 403},
		{name: "omitted session on a public policy is cookie", p: with(bare, func(p *Policy) { p.Public = true }), in: Input{CookieSession: "v1", Session: "admin", SessionGiven: true},
			want: Decision{App: "main", Session: "visitor:v1", Duration: 900}},

		// Scope.
		{name: "no scope asked: the default scope", p: backend, in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 600}},
		{name: "no scope asked, no default: the policy's scope", p: with(backend, func(p *Policy) { p.DefaultScope = nil }), in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatBoth), Duration: 600}},
		{name: "the whole policy scope", p: backend, in: Input{Client: "c", Scope: sc(chatBoth)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatBoth), Duration: 600}},
		{name: "a narrower scope is kept as asked, not widened", p: backend, in: Input{Client: "c", Scope: sc(chatUpload7002)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatUpload7002), Duration: 600}},
		{name: "bot ids only: permissions filled in from the policy", p: backend,
			in:   Input{Client: "c", Scope: sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7002"]}}}`)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat","File.upload"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7002"]}}}`), Duration: 600}},
		{name: "permissions only: bot ids filled in from the policy", p: backend,
			in:   Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]}}`)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001","7002"]}}}`), Duration: 600}},
		{name: "an empty scope object gets the policy's", p: backend, in: Input{Client: "c", Scope: sc(`{}`)},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chatBoth), Duration: 600}},
		{name: "escalation: empty permission list", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "permission_list is empty",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":[]}}`)}},
		{name: "escalation: extra permission", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "Bot.publish",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat","Bot.publish"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`)}},
		{name: "escalation: other bot", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "7009",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001","7009"]}}}`)}},
		{name: "escalation: empty bot list", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "bot_id_list",
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`)}},
		{name: "escalation: adding workspace permission", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "workspace_permission",
			in: Input{Client: "c", Scope: sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}},"workspace_permission":{"workspace_id_list":["1"],"permission_list":["x"]}}`)}},
		{name: "escalation: adding workflow permission", p: backend, deny: "scope_not_allowed", status: 403, msgHas: "workflow_permission",
			in: Input{Client: "c", Scope: sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}},"workflow_permission":{"workflow_id_list":["1"],"permission_list":["x"]}}`)}},
		{name: "escalation: permission differing in case", p: backend, deny: "scope_not_allowed", status: 403,
			in: Input{Client: "c", Scope: sc(`{"account_permission":{"permission_list":["connector.botchat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`)}},

		// Duration.
		{name: "no duration asked: the policy default", p: backend, in: Input{Client: "c"},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 600}},
		{name: "no duration asked, no policy default: the app's, capped by the max", p: with(backend, func(p *Policy) { p.DefaultDuration = 0; p.MaxDuration = 300 }),
			in: Input{Client: "c"}, want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 300}},
		{name: "duration below the max is kept", p: backend, in: Input{Client: "c", Duration: 60},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 60}},
		{name: "duration at the max", p: backend, in: Input{Client: "c", Duration: 3600},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 3600}},
		{name: "duration above the max is refused, not clamped", p: backend, in: Input{Client: "c", Duration: 3601},
			deny: "duration_not_allowed", status: 403, msgHas: "3600"},
		{name: "huge duration", p: backend, in: Input{Client: "c", Duration: math.MaxInt}, deny: "duration_not_allowed", status: 403},

		// Session: trust.
		{name: "trust: the caller's session", p: with(bare, func(p *Policy) { p.Session = SessionTrust }), in: Input{Session: "alice", SessionGiven: true},
			want: Decision{App: "main", Session: "alice", Duration: 900}},
		{name: "trust: no session given: the server's default", p: with(bare, func(p *Policy) { p.Session = SessionTrust }), in: Input{Session: "ignored"},
			want: Decision{App: "main", Duration: 900}},
		{name: "trust: explicit empty session", p: with(bare, func(p *Policy) { p.Session = SessionTrust }), in: Input{SessionGiven: true},
			deny: "bad_request", status: 400, msgHas: "empty"},
		{name: "trust: another client's prefixed session", p: with(bare, func(p *Policy) { p.Session = SessionTrust }),
			in: Input{Client: "backend-1#00000000", Session: "backend-2#3f9a1c2b:alice", SessionGiven: true}, deny: "session_not_allowed", status: 403, msgHas: `":"`},
		{name: "trust: a visitor's session", p: with(bare, func(p *Policy) { p.Session = SessionTrust }),
			in: Input{Session: "visitor:abc", SessionGiven: true}, deny: "session_not_allowed", status: 403},
		{name: "trust: a fixed policy's session", p: with(bare, func(p *Policy) { p.Session = SessionTrust }),
			in: Input{Session: "kiosk", SessionGiven: true, FixedSessions: []string{"other", "kiosk"}}, deny: "session_not_allowed", status: 403, msgHas: "fixed"},

		// Session: prefix.
		{name: "prefix: client identity and session", p: backend, in: Input{Client: "backend-1#3f9a1c2b", Session: "alice", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1#3f9a1c2b:alice", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: no session given", p: backend, in: Input{Client: "backend-1"},
			want: Decision{App: "main", Session: "backend-1:default", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: explicit empty session", p: backend, in: Input{Client: "backend-1", SessionGiven: true},
			deny: "bad_request", status: 400},
		{name: "prefix: cannot borrow another client's prefix", p: backend, in: Input{Client: "backend-1", Session: "backend-2:alice", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1:backend-2:alice", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: cannot repeat its own prefix away", p: backend, in: Input{Client: "backend-1", Session: ":alice", SessionGiven: true},
			want: Decision{App: "main", Session: "backend-1::alice", Scope: sc(chat7001), Duration: 600}},
		{name: "prefix: anonymous caller refused", p: backend, in: Input{Session: "alice", SessionGiven: true},
			deny: "session_not_allowed", status: 403},

		// Session: fixed.
		{name: "fixed: the caller's session is ignored", p: with(bare, func(p *Policy) { p.Session = SessionFixed; p.SessionValue = "shared" }),
			in: Input{Client: "c", Session: "alice", SessionGiven: true}, want: Decision{App: "main", Session: "shared", Duration: 900}},
		{name: "fixed: anonymous", p: with(bare, func(p *Policy) { p.Session = SessionFixed; p.SessionValue = "shared" }), in: Input{},
			want: Decision{App: "main", Session: "shared", Duration: 900}},

		// Session: cookie.
		{name: "cookie: the visitor's cookie", p: with(bare, func(p *Policy) { p.Session = SessionCookie; p.Public = true }),
			in: Input{CookieSession: "v123", Session: "admin", SessionGiven: true}, want: Decision{App: "main", Session: "visitor:v123", Duration: 900}},
		{name: "cookie: without a cookie", p: with(bare, func(p *Policy) { p.Session = SessionCookie; p.Public = true }),
			in: Input{Session: "admin", SessionGiven: true}, deny: "session_not_allowed", status: 403},

		// session_context.
		{name: "session_context refused by default", p: backend, in: Input{Client: "c", SessionContext: true},
			deny: "session_context_not_allowed", status: 403, msgHas: "session_context: true"},
		{name: "session_context allowed by the policy", p: with(backend, func(p *Policy) { p.SessionContext = true }), in: Input{Client: "c", SessionContext: true},
			want: Decision{App: "main", Session: "c:default", Scope: sc(chat7001), Duration: 600}},

		// A broken policy.
		{name: "unknown session mode", p: with(bare, func(p *Policy) { p.Name = "odd"; p.Session = "mystery" }), in: Input{}, deny: "bad_policy", status: 500, msgHas: "mystery"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			app := appDef
			if tc.app != nil {
				app = *tc.app
			}
			d, err := tc.p.Decide(tc.in, app)
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
			if max := cmpScope(tc.p.MaxScope, app.Scope); max != nil {
				if _, why := Narrow(d.Scope, max); why != "" {
					t.Errorf("granted scope exceeds the policy: %s", why)
				}
			}
		})
	}
}

func cmpScope(a, b *coze.Scope) *coze.Scope {
	if a != nil {
		return a
	}
	return b
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestDecideKeepsCallerScope: an allowed scope is handed out as asked (a
// copy): the policy's scope is never substituted for it, and neither the
// request nor the policy is changed.
func TestDecideKeepsCallerScope(t *testing.T) {
	p := backendPolicy()
	asked := sc(chatUpload7002)
	d, err := p.Decide(Input{Client: "c", Scope: asked}, appDef)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(d.Scope, sc(chatUpload7002)) || !reflect.DeepEqual(asked, sc(chatUpload7002)) {
		t.Errorf("scope %s handed out as %s", js(asked), js(d.Scope))
	}
	if !reflect.DeepEqual(p.MaxScope, sc(chatBoth)) || !reflect.DeepEqual(p.DefaultScope, sc(chat7001)) {
		t.Error("Decide changed the policy's scopes")
	}
	d.Scope.AccountPermission.PermissionList[0] = "changed"
	if !reflect.DeepEqual(asked, sc(chatUpload7002)) {
		t.Error("the decided scope shares memory with the request")
	}
}

// TestPrefixSessionsNeverCollide: under SessionPrefix, whatever sessions
// two clients send, they never land in one Coze session. Client
// identities hold no ':', so the prefix is unambiguous.
func TestPrefixSessionsNeverCollide(t *testing.T) {
	p := backendPolicy()
	clients := []string{"a#00000000", "b#00000000", "backend#11111111", "backend#22222222", "backend-1#11111111", "backend-1.x#11111111", "b_1#33333333"}
	var sessions []string
	for _, c := range clients {
		sessions = append(sessions, c, c+":", c+":alice", ":"+c, c+"::alice", "default", c+":default")
	}
	sessions = append(sessions, "alice", ":", "::", "a:b:c", "\x00", "visitor:x")
	owner := map[string]string{}
	for _, c := range clients {
		for _, s := range sessions {
			for _, given := range []bool{true, false} {
				d, err := p.Decide(Input{Client: c, Session: s, SessionGiven: given}, appDef)
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

// TestTrustCannotReachPartitions: whatever a trust caller names, it never
// lands in a prefixed client's, a visitor's or a fixed policy's session.
func TestTrustCannotReachPartitions(t *testing.T) {
	p := Policy{Name: "t", Apps: []string{"main"}, Session: SessionTrust}
	fixed := []string{"kiosk", "shared-screen"}
	for _, s := range []string{"be1#3f9a1c2b:alice", "be1:alice", "visitor:abc", "visitor:", ":", "a:b", "kiosk", "shared-screen"} {
		d, err := p.Decide(Input{Client: "t#00000000", Session: s, SessionGiven: true, FixedSessions: fixed}, appDef)
		var den *Denied
		if !errors.As(err, &den) || den.Code != "session_not_allowed" || den.Status != 403 {
			t.Errorf("trust session %q: got %+v, %v; want 403 session_not_allowed", s, d, err)
		}
	}
	for _, s := range []string{"alice", "kiosk2", "visitor-abc", "be1#3f9a1c2b"} {
		if d, err := p.Decide(Input{Session: s, SessionGiven: true, FixedSessions: fixed}, appDef); err != nil || d.Session != s {
			t.Errorf("trust session %q: got %+v, %v", s, d, err)
		}
	}
}

// TestDurationWithinMax: whatever the caller asks and whatever the app's
// default, the duration handed out is positive and within the max (the
// policy's, else the app's).
func TestDurationWithinMax(t *testing.T) {
	for _, pmax := range []int{0, 600, 3600} {
		p := backendPolicy()
		p.DefaultDuration, p.MaxDuration = 0, pmax
		for _, asked := range []int{0, 1, 600, 3600, 3601, coze.MaxDuration} {
			for _, appDefault := range []int{0, 1, 900, 3600, 7200, coze.MaxDuration} {
				maxD := pmax
				if maxD == 0 {
					maxD = appDefault
					if maxD == 0 {
						maxD = coze.DefaultDuration
					}
				}
				d, err := p.Decide(Input{Client: "c", Duration: asked}, AppDefaults{Duration: appDefault})
				if err != nil {
					if asked <= maxD {
						t.Errorf("max %d, asked %d, app %d: %v", pmax, asked, appDefault, err)
					}
					continue
				}
				if d.Duration < 1 || d.Duration > maxD || (asked != 0 && d.Duration != asked) {
					t.Errorf("max %d, asked %d, app %d: got %d", pmax, asked, appDefault, d.Duration)
				}
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

func TestNarrow(t *testing.T) {
	ws := `{"workspace_permission":{"workspace_id_list":["w1","w2"],"permission_list":["read","run"]}}`
	wf := `{"workflow_permission":{"workflow_id_list":["f1","f2"],"permission_list":["run"]}}`
	all := `{"account_permission":{"permission_list":["p1","p2"]},"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["read"]},"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`
	cases := []struct {
		name    string
		req     *coze.Scope
		allowed *coze.Scope
		want    string // the scope sent, as JSON; "" when refused
		whyHas  string
	}{
		{"nil allowed permits nil", nil, nil, "null", ""},
		{"nil allowed permits anything", sc(all), nil, all, ""},
		{"nil allowed still refuses an empty list", sc(`{"account_permission":{"permission_list":[]}}`), nil, "", "empty"},
		{"nil request gets the max", nil, sc(all), all, ""},
		{"empty request gets the max", sc(`{}`), sc(all), all, ""},
		{"equal", sc(all), sc(all), all, ""},
		{"equal, with bots", sc(chatBoth), sc(chatBoth), chatBoth, ""},
		{"account: fewer, the rest filled in", sc(`{"account_permission":{"permission_list":["p2"]}}`), sc(all),
			`{"account_permission":{"permission_list":["p2"]},"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["read"]},"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`, ""},
		{"account: empty list is refused", sc(`{"account_permission":{"permission_list":[]}}`), sc(all), "", "permission_list is empty"},
		{"account: part without a list is filled in", sc(`{"account_permission":{}}`), sc(all), all, ""},
		{"account: extra", sc(`{"account_permission":{"permission_list":["p1","p3"]}}`), sc(all), "", `"p3"`},
		{"account: not granted at all", sc(`{"account_permission":{"permission_list":["p1"]}}`), sc(ws), "", "account_permission is not granted"},
		{"workspace: narrower", sc(`{"workspace_permission":{"workspace_id_list":["w2"],"permission_list":["run"]}}`), sc(ws),
			`{"workspace_permission":{"workspace_id_list":["w2"],"permission_list":["run"]}}`, ""},
		{"workspace: ids only, permissions filled in", sc(`{"workspace_permission":{"workspace_id_list":["w2"]}}`), sc(ws),
			`{"workspace_permission":{"workspace_id_list":["w2"],"permission_list":["read","run"]}}`, ""},
		{"workspace: empty ids", sc(`{"workspace_permission":{"workspace_id_list":[],"permission_list":["run"]}}`), sc(ws), "", "workspace_id_list is empty"},
		{"workspace: other workspace", sc(`{"workspace_permission":{"workspace_id_list":["w3"],"permission_list":["run"]}}`), sc(ws), "", "workspace_id_list"},
		{"workspace: other permission", sc(`{"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["admin"]}}`), sc(ws), "", `"admin"`},
		{"workspace: not granted", sc(`{"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["read"]}}`), sc(wf), "", "workspace_permission is not granted"},
		{"workflow: narrower", sc(`{"workflow_permission":{"workflow_id_list":["f2"],"permission_list":["run"]}}`), sc(wf),
			`{"workflow_permission":{"workflow_id_list":["f2"],"permission_list":["run"]}}`, ""},
		{"workflow: empty permissions", sc(`{"workflow_permission":{"workflow_id_list":["f2"],"permission_list":[]}}`), sc(wf), "", "permission_list is empty"},
		{"workflow: other workflow", sc(`{"workflow_permission":{"workflow_id_list":["f9"],"permission_list":["run"]}}`), sc(wf), "", "workflow_id_list"},
		{"workflow: not granted", sc(`{"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`), sc(ws), "", "workflow_permission is not granted"},
		{"bots: one of the allowed", sc(chat7001), sc(chatBoth), chat7001, ""},
		{"bots: other bot", sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7003"]}}}`), sc(chatBoth), "", `"7003"`},
		{"bots: missing constraint is filled in", sc(`{"account_permission":{"permission_list":["Connector.botChat"]}}`), sc(chatBoth),
			`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001","7002"]}}}`, ""},
		{"bots: empty attribute is filled in", sc(`{"attribute_constraint":{}}`), sc(chatBoth), chatBoth, ""},
		{"bots: empty list is refused", sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`), sc(chatBoth), "", "bot_id_list is empty"},
		{"bots: request may add a restriction", sc(`{"account_permission":{"permission_list":["p1"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["x"]}}}`), sc(all),
			`{"account_permission":{"permission_list":["p1"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["x"]}},"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["read"]},"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["run"]}}`, ""},
		{"bots: an added restriction may not be empty", sc(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`), sc(all), "", "bot_id_list is empty"},
		{"bots: good bots do not excuse a bad permission", sc(`{"account_permission":{"permission_list":["Bot.publish"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`), sc(chatBoth), "", `"Bot.publish"`},
		{"a max with an empty list grants nothing there", nil, sc(`{"account_permission":{"permission_list":[]}}`), "", "in the policy's scope"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, beforeMax := js(tc.req), js(tc.allowed)
			got, why := Narrow(tc.req, tc.allowed)
			if tc.want == "" {
				if why == "" || got != nil {
					t.Fatalf("Narrow(%s, %s) = %s, want refused", js(tc.req), js(tc.allowed), js(got))
				}
				if !strings.Contains(why, tc.whyHas) {
					t.Errorf("reason %q does not mention %q", why, tc.whyHas)
				}
				return
			}
			if why != "" {
				t.Fatalf("Narrow(%s, %s) refused: %s", js(tc.req), js(tc.allowed), why)
			}
			if js(got) != tc.want {
				t.Errorf("Narrow(%s, %s) = %s, want %s", js(tc.req), js(tc.allowed), js(got), tc.want)
			}
			if js(tc.req) != before || js(tc.allowed) != beforeMax {
				t.Error("Narrow changed its arguments")
			}
		})
	}
}
