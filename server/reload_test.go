package server

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/policy"
)

// withAccess is a copy of f's config with access rules a.
func (f *fixture) withAccess(a config.Access) *config.Config {
	c := *f.cfg
	c.Access = a
	return &c
}

// lastKid is the kid of the last assertion the emulator accepted.
func lastKid(f *fixture) string {
	g, _ := f.emu.LastGrant()
	return g.KeyID
}

// reloading is a closed server (testAccess) whose apps' Sources it
// builds itself (Options.NewSource).
func reloading(t *testing.T) (*fixture, testKeys) {
	t.Helper()
	f := newFixture(t)
	acc, keys := testAccess(t)
	f.cfg.Access = acc
	client := testClient()
	s := mustNew(t, f.cfg, f.b, Options{Log: f.logger, Audit: f.logger, NewSource: func(a *config.App) broker.Source {
		return &credential.JWT{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}
	}})
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	f.server = s
	return f, keys
}

// edited is a deep enough copy of f's config for a test to change apps
// and rules without touching the generation in force.
func (f *fixture) edited() *config.Config {
	c := *f.server.conf()
	c.Apps = append([]config.App(nil), c.Apps...)
	c.Access.Policies = append([]policy.Policy(nil), c.Access.Policies...)
	c.Access.Clients = append([]policy.Client(nil), c.Access.Clients...)
	return &c
}

func (f *fixture) token(t *testing.T, key, user string) (int, string) {
	t.Helper()
	status, _, body := f.do(t, "POST", "/token", "", map[string]string{"Authorization": "Bearer " + key, "X-User-ID": user})
	if status != 200 {
		return status, string(body)
	}
	return status, decode[tokenAnswer](t, body).AccessToken
}

// TestReloadRefusesClosedToOpen: a config that lost its policies and
// clients (a file cut after apps:) must not turn the server open.
func TestReloadRefusesClosedToOpen(t *testing.T) {
	f, keys := reloading(t)
	open := f.edited()
	open.Access = config.Access{}
	if err := f.server.Reload(open); !errors.Is(err, ErrWouldOpen) {
		t.Fatalf("closed -> open reload: err = %v", err)
	}
	if status, _, _ := f.do(t, "POST", "/token", "", nil); status != 401 {
		t.Fatalf("after a refused reload a caller without a key got %d, want 401", status)
	}
	if status, _ := f.token(t, keys.alpha, "u"); status != 200 {
		t.Fatalf("after a refused reload a valid key got %d", status)
	}
	wantAll(t, f.logs.String(), "level=ERROR", "reload refused", "open mode", `msg=reload`, "result=refused")
}

// TestReloadRefusesRestartOnlyFields: what cannot change live is refused
// with a restart hint, never half applied.
func TestReloadRefusesRestartOnlyFields(t *testing.T) {
	f, _ := reloading(t)
	for field, edit := range map[string]func(*config.Config){
		"listen":            func(c *config.Config) { c.Listen = "0.0.0.0:9999" },
		"gateway_prefix":    func(c *config.Config) { c.GatewayPrefix = "/coze" },
		"cache.max_entries": func(c *config.Config) { c.Cache.MaxEntries = 5 },
	} {
		c := f.edited()
		edit(c)
		err := f.server.Reload(c)
		if err == nil || !strings.Contains(err.Error(), field) || !strings.Contains(err.Error(), "restart") {
			t.Errorf("%s change: err = %v", field, err)
		}
	}
	if f.server.conf().GatewayPrefix != "" {
		t.Fatal("a refused reload changed the config in force")
	}
}

// TestReloadAppKeyIDTakesEffect: after editing an app's key id, the next
// mint signs with the new kid and the app's cached tokens are gone; an
// untouched app would keep its tokens.
func TestReloadAppKeyIDTakesEffect(t *testing.T) {
	f, keys := reloading(t)
	_, before := f.token(t, keys.alpha, "u1")
	if lastKid(f) != goodKID {
		t.Fatalf("first mint kid %q", lastKid(f))
	}
	// A reload changing only a policy keeps the app's cached tokens.
	c := f.edited()
	c.Access.Policies[1].MaxDuration = 100
	if err := f.server.Reload(c); err != nil {
		t.Fatal(err)
	}
	if _, again := f.token(t, keys.alpha, "u1"); again != before {
		t.Fatal("a reload that did not touch the app dropped its cached token")
	}
	// The console's key is rotated: the old kid now names another key.
	f.emu.AddKey(goodClient, "kid-rotated", &testKey().PublicKey)
	f.emu.AddKey(goodClient, goodKID, &otherKey().PublicKey)
	c = f.edited()
	c.Apps[0] = c.Apps[0].Clone()
	c.Apps[0].JWT.KeyID = "kid-rotated"
	if err := f.server.Reload(c); err != nil {
		t.Fatal(err)
	}
	status, after := f.token(t, keys.alpha, "u1")
	if status != 200 {
		t.Fatalf("after the key id edit: %d %s", status, after)
	}
	if lastKid(f) != "kid-rotated" {
		t.Fatalf("the mint after the reload used kid %q, want kid-rotated", lastKid(f))
	}
	if after == before {
		t.Fatal("the app's cached token survived a change of its key id")
	}
	wantAll(t, f.logs.String(), "level=WARN", "reloaded configuration", "apps_changed=[good]", "policies_changed=[strict]")
}

// TestReloadDropsRevokedClientsTokens: tokens cached for a client that a
// reload removed go at once.
func TestReloadDropsRevokedClientsTokens(t *testing.T) {
	f, _ := reloading(t)
	alpha := f.server.conf().Access.Clients[0]
	req := broker.Request{App: "good", Session: "s", Owner: alpha.ID(), Duration: 900}
	if _, _, err := f.b.Token(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	c := f.edited()
	c.Access.Clients = c.Access.Clients[1:]
	if err := f.server.Reload(c); err != nil {
		t.Fatal(err)
	}
	if _, out, err := f.b.Token(context.Background(), req); err != nil || out != broker.Minted {
		t.Fatalf("the revoked client's token was still cached (outcome %v, err %v)", out, err)
	}
	wantAll(t, f.logs.String(), "clients_removed=[alpha]", "tokens_dropped=1", `msg=reload`, "result=applied")
}

// TestReloadSwapsWholeGeneration: a removed app is gone from the gateway
// and the token API at once, a new default session applies.
func TestReloadSwapsWholeGeneration(t *testing.T) {
	f, keys := reloading(t)
	c := f.edited()
	c.DefaultSession = "changed"
	if err := f.server.Reload(c); err != nil {
		t.Fatal(err)
	}
	if f.server.conf().DefaultSession != "changed" {
		t.Fatal("default_session not reloaded")
	}
	if status, _ := f.token(t, keys.beta, "u"); status != 200 {
		t.Fatalf("status %d", status)
	}
}

func wantAll(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("log lacks %q:\n%s", w, text)
		}
	}
}

var otherKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

// TestReloadWithoutNewSourceRefusesAppEdits: a server that cannot give
// the broker new Sources must not claim an app edit took effect.
func TestReloadWithoutNewSourceRefusesAppEdits(t *testing.T) {
	f, _ := guarded(t)
	c := f.withAccess(f.cfg.Access)
	c.Apps = append([]config.App(nil), c.Apps...)
	c.Apps[0] = c.Apps[0].Clone()
	c.Apps[0].JWT.KeyID = "kid-new"
	if err := f.server.Reload(c); err == nil || !strings.Contains(err.Error(), "restart") {
		t.Fatalf("an app edit without NewSource: %v", err)
	}
	c.Apps[0].JWT.KeyID = goodKID
	c.Apps[0].Duration = 60 // not part of minting: applies live
	if err := f.server.Reload(c); err != nil {
		t.Fatal(err)
	}
}

// TestSameMinter: each credential or endpoint field makes a new Source;
// an equal key loaded again (a new pointer) does not.
func TestSameMinter(t *testing.T) {
	base := config.App{Name: "a", Kind: config.KindJWT, ClientID: "1", JWT: &config.JWTApp{KeyID: "k", Key: testKey()},
		APIBase: "https://api.coze.cn", Audience: "api.coze.cn"}
	reloaded := *testKey()
	same := base.Clone()
	same.JWT.Key = &reloaded
	same.Duration = 60
	if !sameMinter(&base, &same) {
		t.Fatal("an equal key loaded again counts as a change")
	}
	if !appChanged(&base, &same) {
		t.Fatal("a duration change is not reported")
	}
	moved := base.Clone()
	moved.JWT.KeyFile, moved.JWT.KeySource = "/elsewhere/k.pem", "file /elsewhere/k.pem"
	if !sameMinter(&base, &moved) || !appChanged(&base, &moved) {
		t.Fatal("the same key read from another file: a new Source, or not reported")
	}
	for name, edit := range map[string]func(*config.App){
		"client_id":     func(a *config.App) { a.ClientID = "2" },
		"key_id":        func(a *config.App) { a.JWT.KeyID = "k2" },
		"key":           func(a *config.App) { a.JWT.Key = otherKey() },
		"audience":      func(a *config.App) { a.Audience = "api.coze.com" },
		"api_base":      func(a *config.App) { a.APIBase = "https://api.coze.com" },
		"www_base":      func(a *config.App) { a.WWWBase = "https://www.coze.com" },
		"ws_base":       func(a *config.App) { a.WSBase = "wss://ws.coze.com" },
		"account_id":    func(a *config.App) { a.AccountID = "9" },
		"enterprise_id": func(a *config.App) { a.EnterpriseID = "e" },
		"assertion_ttl": func(a *config.App) { a.JWT.AssertionTTL = 7 },
		"kind":          func(a *config.App) { a.Kind, a.JWT, a.Device = config.KindDevice, nil, &config.DeviceApp{} },
	} {
		c := base.Clone()
		edit(&c)
		if sameMinter(&base, &c) || !appChanged(&base, &c) {
			t.Errorf("a %s change keeps the Source", name)
		}
	}
	// Every other kind: its credentials, compared by value.
	kinds := map[string]struct {
		base config.App
		edit func(*config.App)
	}{
		"pat token": {config.App{Kind: config.KindPAT, PAT: &config.PATApp{Token: "pat_one", TokenSource: "COZE_API_TOKEN"}},
			func(a *config.App) { a.PAT.Token = "pat_two" }},
		"web secret": {config.App{Kind: config.KindWeb, ClientID: "1", Web: &config.WebApp{ClientSecret: "s1", RedirectURI: "https://a.example/cb"}},
			func(a *config.App) { a.Web.ClientSecret = "s2" }},
		"web redirect": {config.App{Kind: config.KindWeb, ClientID: "1", Web: &config.WebApp{ClientSecret: "s1", RedirectURI: "https://a.example/cb"}},
			func(a *config.App) { a.Web.RedirectURI = "https://b.example/cb" }},
		"pkce redirect": {config.App{Kind: config.KindPKCE, ClientID: "1", PKCE: &config.PKCEApp{RedirectURI: "https://a.example/cb"}},
			func(a *config.App) { a.PKCE.RedirectURI = "https://b.example/cb" }},
		"device workspace": {config.App{Kind: config.KindDevice, ClientID: "1", Device: &config.DeviceApp{}},
			func(a *config.App) { a.Device.WorkspaceID = "7" }},
	}
	for name, k := range kinds {
		again := k.base.Clone()
		if !sameMinter(&k.base, &again) || appChanged(&k.base, &again) {
			t.Errorf("%s: an identical copy counts as a change", name)
		}
		c := k.base.Clone()
		k.edit(&c)
		if sameMinter(&k.base, &c) || !appChanged(&k.base, &c) {
			t.Errorf("a %s change keeps the Source", name)
		}
	}
}
