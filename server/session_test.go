package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// sessionAccess: a trust client, two prefix clients, a fixed kiosk and a
// public widget.
func sessionAccess() config.Access {
	return config.Access{
		Policies: []policy.Policy{
			{Name: "trust", Apps: []string{"good"}, Session: policy.SessionTrust},
			{Name: "backend", Apps: []string{"good"}, Session: policy.SessionPrefix},
			{Name: "kiosk", Apps: []string{"good"}, Session: policy.SessionFixed, SessionValue: "kiosk-screen"},
			{Name: "widget", Apps: []string{"good"}, Public: true, Origins: []string{shopOrigin}, Session: policy.SessionCookie,
				MaxScope: botScope([]string{"Connector.botChat"}, "7001")},
		},
		Clients: []policy.Client{{Name: "tr", Policy: "trust"}, {Name: "be1", Policy: "backend"}, {Name: "be2", Policy: "backend"}, {Name: "k", Policy: "kiosk"}},
	}
}

// TestTrustKeyCannotNameOtherPartitions: a trust-mode key naming another
// client's prefixed session, a widget visitor's or a fixed policy's gets
// 403, and nothing reaches Coze. Before, it got that person's session.
func TestTrustKeyCannotNameOtherPartitions(t *testing.T) {
	f, keys := serveAccess(t, sessionAccess(), nil)
	// The victims' sessions exist.
	if status, _, data := f.do(t, "POST", "/token", "", with(bearer(keys["be1"]), "X-User-ID", "alice")); status != 200 {
		t.Fatalf("be1: %d %s", status, data)
	}
	be1Alice := fmt.Sprint(f.emu.LastClaims()["session_name"])
	status, hdr, _ := f.do(t, "POST", "/token", "", map[string]string{"Origin": shopOrigin})
	if status != 200 {
		t.Fatalf("visitor: %d", status)
	}
	visitor := fmt.Sprint(f.emu.LastClaims()["session_name"])
	if !strings.HasPrefix(be1Alice, clientID(f, "be1")+":") || !strings.HasPrefix(visitor, "visitor:") || hdr.Get("Set-Cookie") == "" {
		t.Fatalf("sessions %q and %q", be1Alice, visitor)
	}
	for _, name := range []string{be1Alice, "be1:alice", visitor, "visitor:x", "kiosk-screen", ":"} {
		for _, via := range []string{"header", "body"} {
			h, body := with(bearer(keys["tr"]), "X-User-ID", name), ""
			if via == "body" {
				h, body = bearer(keys["tr"]), fmt.Sprintf(`{"session_name":%q}`, name)
			}
			before := f.emu.Requests()
			status, _, data := f.do(t, "POST", "/token", body, h)
			if e := decode[errAnswer](t, data).Error; status != 403 || e.Code != "session_not_allowed" || e.Message == "" {
				t.Fatalf("trust key naming %q in the %s: %d %s", name, via, status, data)
			}
			if f.emu.Requests() != before {
				t.Fatalf("trust key naming %q reached Coze", name)
			}
		}
	}
	// Its own names still work.
	if status, _, data := f.do(t, "POST", "/token", "", with(bearer(keys["tr"]), "X-User-ID", "alice")); status != 200 {
		t.Fatalf("trust key's own session: %d %s", status, data)
	}
}

// TestEmptySessionNameIsRefused: an empty X-User-ID or session_name is a
// 400 in every mode, open mode included; before, it minted a token with
// no session_name.
func TestEmptySessionNameIsRefused(t *testing.T) {
	open := newFixture(t)
	guardedF, keys := serveAccess(t, sessionAccess(), nil)
	cases := []struct {
		name string
		f    *fixture
		hdr  map[string]string
	}{
		{"open", open, map[string]string{}},
		{"trust", guardedF, bearer(keys["tr"])},
		{"prefix", guardedF, bearer(keys["be1"])},
		{"fixed", guardedF, bearer(keys["k"])},
		{"cookie", guardedF, map[string]string{"Origin": shopOrigin}},
	}
	for _, tc := range cases {
		for _, req := range []struct {
			body string
			hdr  map[string]string
		}{
			{"", with(tc.hdr, "X-User-ID", "")},
			{`{"session_name":""}`, tc.hdr},
		} {
			before := tc.f.emu.Requests()
			// An empty header value survives only at the handler.
			rec := recorderWith(tc.f.server, "POST", "/token", req.body, req.hdr)
			if rec.Code != 400 || !strings.Contains(rec.Body.String(), "empty") {
				t.Fatalf("%s, body %q: %d %s", tc.name, req.body, rec.Code, rec.Body)
			}
			if tc.f.emu.Requests() != before {
				t.Fatalf("%s: an empty session name reached Coze", tc.name)
			}
		}
	}
	if status, _, data := open.do(t, "GET", "/callback?session_name=", "", nil); status != 400 {
		t.Fatalf("GET with an empty session_name: %d %s", status, data)
	}
}

// TestSameSessionNameTwoClients: two clients naming the same session get
// different Coze sessions and tokens, each under its own identity.
func TestSameSessionNameTwoClients(t *testing.T) {
	f, keys := serveAccess(t, sessionAccess(), nil)
	var tokens, sessions []string
	for _, c := range []string{"be1", "be2"} {
		status, _, data := f.do(t, "POST", "/token", "", with(bearer(keys[c]), "X-User-ID", "alice"))
		if status != 200 {
			t.Fatalf("%s: %d %s", c, status, data)
		}
		tokens = append(tokens, decode[tokenAnswer](t, data).AccessToken)
		sessions = append(sessions, fmt.Sprint(f.emu.LastClaims()["session_name"]))
		if want := clientID(f, c) + ":alice"; sessions[len(sessions)-1] != want {
			t.Fatalf("%s: session %q, want %q", c, sessions[len(sessions)-1], want)
		}
	}
	if tokens[0] == tokens[1] || sessions[0] == sessions[1] {
		t.Fatal("two clients share a session")
	}
}

// TestRecreatedClientGetsNewSessions: a client revoked and re-created
// under the same name holds another key, so it is another identity: its
// sessions and tokens are not the old client's.
func TestRecreatedClientGetsNewSessions(t *testing.T) {
	f, keys := serveAccess(t, sessionAccess(), nil)
	status, _, data := f.do(t, "POST", "/token", "", with(bearer(keys["be1"]), "X-User-ID", "alice"))
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	oldTok, oldSession := decode[tokenAnswer](t, data).AccessToken, fmt.Sprint(f.emu.LastClaims()["session_name"])

	acc := f.cfg.Access
	acc.Clients = append([]policy.Client(nil), acc.Clients...)
	newKey, newHash, _ := policy.NewKey()
	for i := range acc.Clients {
		if acc.Clients[i].Name == "be1" {
			acc.Clients[i].Hash = newHash
		}
	}
	if err := f.server.Reload(f.withAccess(acc)); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := f.do(t, "POST", "/token", "", with(bearer(keys["be1"]), "X-User-ID", "alice")); status != 401 {
		t.Fatalf("the revoked key: %d", status)
	}
	status, _, data = f.do(t, "POST", "/token", "", with(bearer(newKey), "X-User-ID", "alice"))
	if status != 200 {
		t.Fatalf("%d %s", status, data)
	}
	newTok, newSession := decode[tokenAnswer](t, data).AccessToken, fmt.Sprint(f.emu.LastClaims()["session_name"])
	if newTok == oldTok || newSession == oldSession || !strings.HasPrefix(newSession, "be1#") {
		t.Fatalf("re-created client: session %q (old %q), same token %v", newSession, oldSession, newTok == oldTok)
	}
}

// TestTokensAreHeldForTheirOwner: a keyed client's tokens are held under
// its identity and a public policy's visitors' under the policy, so
// revoking one drops exactly its own.
func TestTokensAreHeldForTheirOwner(t *testing.T) {
	f, keys := serveAccess(t, sessionAccess(), nil)
	for _, h := range []map[string]string{with(bearer(keys["be1"]), "X-User-ID", "a"), with(bearer(keys["be1"]), "X-User-ID", "b"),
		with(bearer(keys["be2"]), "X-User-ID", "a"), {"Origin": shopOrigin}} {
		if status, _, data := f.do(t, "POST", "/token", "", h); status != 200 {
			t.Fatalf("%d %s", status, data)
		}
	}
	if n := f.b.DropOwner(clientID(f, "be1")); n != 2 {
		t.Fatalf("be1 held %d tokens, want 2", n)
	}
	if n := f.b.DropOwner("visitor:widget"); n != 1 {
		t.Fatalf("the widget's visitors held %d tokens, want 1", n)
	}
	if n := f.b.DropOwner(clientID(f, "be2")); n != 1 {
		t.Fatalf("be2 held %d tokens, want 1", n)
	}
}
