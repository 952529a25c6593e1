package server

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

const (
	kindsPAT       = "pat_kinds_test_token_0123456789"
	kindsWebClient = "1180000000002"
	kindsWebSecret = "kinds-web-secret"
	kindsUser      = "7310000000000000077"
)

// kindsFixture serves, in open mode, a pat app and a web app beside the
// fixture's JWT apps, with their Sources built as serve builds them, and
// a grant of alice's for the web app.
func kindsFixture(t *testing.T) (*fixture, grant.Store) {
	t.Helper()
	f := newFixture(t)
	f.emu.AddPAT(kindsPAT, kindsUser)
	f.emu.AddWebApp(kindsWebClient, kindsWebSecret, "http://127.0.0.1/oauth/callback")
	base := f.coze.URL
	f.cfg.Apps = append(f.cfg.Apps,
		config.App{Name: "pat", Kind: config.KindPAT, APIBase: base, WSBase: coze.WSBaseFor(base), Duration: 900,
			PAT: &config.PATApp{Token: kindsPAT}},
		config.App{Name: "web", Kind: config.KindWeb, ClientID: kindsWebClient, APIBase: base, WSBase: coze.WSBaseFor(base), Duration: 900,
			Web: &config.WebApp{ClientSecret: kindsWebSecret, RedirectURI: "http://127.0.0.1/oauth/callback"}})
	store := grant.NewMemory()
	now := time.Now().UTC()
	if err := store.Put(t.Context(), &grant.Grant{App: "web", Subject: "alice", User: kindsUser, State: grant.Active,
		RefreshToken: f.emu.IssueRefreshToken(kindsWebClient, kindsUser), CreatedAt: now, RefreshedAt: now}); err != nil {
		t.Fatal(err)
	}
	d := credential.Deps{Client: testClient(), Grants: store}
	sources := map[string]broker.Source{}
	for i := range f.cfg.Apps {
		src, err := credential.New(&f.cfg.Apps[i], d)
		if err != nil {
			t.Fatal(err)
		}
		sources[f.cfg.Apps[i].Name] = src
	}
	f.b = broker.New(sources, broker.Options{MaxEntries: 1000})
	t.Cleanup(f.b.Close)
	f.server = mustNew(t, f.cfg, f.b, Options{Log: f.logger, Grants: store})
	f.srv.Close()
	f.srv = httptest.NewServer(f.server)
	t.Cleanup(f.srv.Close)
	return f, store
}

// TestPATOnlyThroughTheGateway: the gateway injects a pat app's token;
// the token API never hands it out without a policy saying so.
func TestPATOnlyThroughTheGateway(t *testing.T) {
	f, _ := kindsFixture(t)
	status, _, body := f.do(t, "GET", "/v1/users/me", "", map[string]string{AppHeader: "pat", "X-User-ID": "alice"})
	if status != 200 || f.emu.LastAPIAuth() != kindsPAT {
		t.Fatalf("gateway with the pat app: %d %s", status, body)
	}
	status, _, body = f.do(t, "POST", "/token", `{"app":"pat"}`, nil)
	if status != 403 || !strings.Contains(string(body), "pat_not_handed_out") || strings.Contains(string(body), kindsPAT) {
		t.Fatalf("token API with the pat app: %d %s", status, body)
	}
}

// TestWebGrantServesItsUser: a web app's token comes from the user's
// grant; a user without one gets needs_login naming the app and the user.
func TestWebGrantServesItsUser(t *testing.T) {
	f, store := kindsFixture(t)
	before, _ := store.Get(t.Context(), "web", "alice")
	status, _, body := f.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"X-User-ID": "alice"})
	if status != 200 {
		t.Fatalf("alice: %d %s", status, body)
	}
	after, _ := store.Get(t.Context(), "web", "alice")
	if after.RefreshToken == before.RefreshToken {
		t.Fatal("the rotated refresh token was not saved")
	}
	status, _, body = f.do(t, "GET", "/v1/users/me", "", map[string]string{AppHeader: "web", "X-User-ID": "alice"})
	if status != 200 || !strings.Contains(string(body), kindsUser) {
		t.Fatalf("gateway as alice: %d %s", status, body)
	}
	status, _, body = f.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"X-User-ID": "bob"})
	if status != 403 || !strings.Contains(string(body), "needs_login") || !strings.Contains(string(body), `\"bob\"`) {
		t.Fatalf("bob without a login: %d %s", status, body)
	}
	if f.emu.MintsByGrant(emulator.GrantRefreshToken) != 1 || f.emu.DoubleRedemptions() != 0 {
		t.Fatalf("%d redemptions, %d doubles", f.emu.MintsByGrant(emulator.GrantRefreshToken), f.emu.DoubleRedemptions())
	}
}
