package server

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
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
	loginWebClient    = "1180000000011"
	loginWebSecret    = "login-web-secret-value"
	loginPKCEClient   = "1180000000012"
	loginDeviceClient = "1180000000013"
)

// loginFix is a server with a web app "web" and a PKCE app "pkce" whose
// redirect URI is the server's own /oauth/callback, in front of an
// emulator that approves consent by itself.
type loginFix struct {
	*fixture
	store grant.Store
	skew  atomic.Int64 // added to the login table's clock
	audit *syncBuffer
}

func loginFixture(t testing.TB, acc *config.Access) *loginFix {
	t.Helper()
	return loginFixtureEdit(t, acc, nil)
}

// loginFixtureEdit is loginFixture with edit applied to each app before
// the server is built.
func loginFixtureEdit(t testing.TB, acc *config.Access, edit func(*config.App)) *loginFix {
	t.Helper()
	return loginFixtureWith(t, acc, edit, nil)
}

// loginFixtureWith is loginFixtureEdit; with shared logins, two servers
// (replicas sharing the grants and the logins) answer the address in
// turn, one request each.
func loginFixtureWith(t testing.TB, acc *config.Access, edit func(*config.App), logins SharedLogins) *loginFix {
	t.Helper()
	f := newFixture(t)
	f.emu.SetApprove(emulator.ApproveAuto)
	var h atomic.Pointer[Server]
	var other *Server
	var turn atomic.Uint64
	f.srv.Close()
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if other != nil && turn.Add(1)%2 == 0 {
			other.ServeHTTP(w, r)
			return
		}
		h.Load().ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	redirect := f.srv.URL + LoginCallbackPath
	f.emu.AddWebApp(loginWebClient, loginWebSecret, redirect)
	f.emu.AddPKCEApp(loginPKCEClient, redirect)
	f.emu.AddDeviceApp(loginDeviceClient)
	base := f.coze.URL
	f.cfg.Apps = append(f.cfg.Apps,
		config.App{Name: "web", Kind: config.KindWeb, ClientID: loginWebClient, APIBase: base, WWWBase: base, WSBase: coze.WSBaseFor(base), Duration: 900,
			Web: &config.WebApp{ClientSecret: loginWebSecret, RedirectURI: redirect}},
		config.App{Name: "pkce", Kind: config.KindPKCE, ClientID: loginPKCEClient, APIBase: base, WWWBase: base, WSBase: coze.WSBaseFor(base), Duration: 900,
			PKCE: &config.PKCEApp{RedirectURI: redirect}},
		config.App{Name: "device", Kind: config.KindDevice, ClientID: loginDeviceClient, APIBase: base, WWWBase: base, Duration: 900,
			Device: &config.DeviceApp{}})
	if acc != nil {
		f.cfg.Access = *acc
	}
	for i := range f.cfg.Apps {
		if edit != nil {
			edit(&f.cfg.Apps[i])
		}
	}
	lf := &loginFix{fixture: f, store: grant.NewMemory(), audit: &syncBuffer{}}
	d := credential.Deps{Client: testClient(), Grants: lf.store}
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
	o := Options{Log: f.logger, Audit: slog.New(slog.NewTextHandler(lf.audit, nil)), Grants: lf.store, Client: testClient(),
		LoginReturnTo: []string{"https://app.example/account/"}, Logins: logins}
	clock := func() time.Time { return time.Now().Add(time.Duration(lf.skew.Load())) }
	f.server = mustNew(t, f.cfg, f.b, o)
	if logins != nil {
		other = mustNew(t, f.cfg, f.b, o)
		f.server.logins.(*sharedLogins).now, other.logins.(*sharedLogins).now = clock, clock
	} else {
		f.server.logins.(*loginTable).now = clock
	}
	h.Store(f.server)
	return lf
}

// connect asks POST /connect and answers the status and the link (or the
// error body).
func (lf *loginFix) connect(t *testing.T, key, app, subject, returnTo string) (int, string) {
	t.Helper()
	body, _ := json.Marshal(connectBody{App: app, Subject: subject, ReturnTo: returnTo})
	hdr := map[string]string{"Content-Type": "application/json"}
	if key != "" {
		hdr["Authorization"] = "Bearer " + key
	}
	status, _, data := lf.do(t, "POST", "/connect", string(body), hdr)
	if status != 200 {
		return status, string(data)
	}
	ans := decode[connectAnswer](t, data)
	if !strings.HasPrefix(ans.URL, lf.srv.URL+LoginStartPath+"?t=") {
		t.Fatalf("connect link %q is not on this server", ans.URL)
	}
	if d := time.Until(time.Unix(ans.ExpiresAt, 0)) - time.Duration(lf.skew.Load()); d < 9*time.Minute || d > 11*time.Minute {
		t.Fatalf("connect link expires in %v, want about 10 minutes", d)
	}
	return status, ans.URL
}

// browser is a browser with its own cookies. It follows redirects, but
// stops (answering the redirect itself) before a URL for which stop says
// so.
type browser struct {
	c    *http.Client
	last *url.URL // the URL where it stopped
}

func newBrowser(t *testing.T, stop func(*url.URL) bool) *browser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{}
	b.c = &http.Client{Jar: jar, Timeout: 20 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if stop != nil && stop(req.URL) {
			b.last = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}}
	return b
}

func (b *browser) get(t *testing.T, u string) (int, string, *http.Response) {
	t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data), resp
}

// atCallback stops a browser before it reaches the callback.
func atCallback(u *url.URL) bool { return u.Path == LoginCallbackPath }

// atApp stops a browser before it reaches the application's return_to.
func atApp(u *url.URL) bool { return u.Host == "app.example" || strings.HasPrefix(u.Path, "/app/") }

func (lf *loginFix) grantOf(t *testing.T, app, subject string) *grant.Grant {
	t.Helper()
	g, err := lf.store.Get(t.Context(), app, subject)
	if errors.Is(err, grant.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func (lf *loginFix) noGrants(t *testing.T) {
	t.Helper()
	ms, err := lf.store.List(t.Context(), "")
	if err != nil || len(ms) != 0 {
		t.Fatalf("grants stored: %v %v", ms, err)
	}
}

// noSecrets fails if a page, the log or the audit shows a secret.
func (lf *loginFix) noSecrets(t *testing.T, texts ...string) {
	t.Helper()
	texts = append(texts, lf.logs.String(), lf.audit.String())
	secrets := []string{loginWebSecret}
	if ms, _ := lf.store.List(t.Context(), ""); len(ms) > 0 {
		for _, m := range ms {
			if g := lf.grantOf(t, m.App, m.Subject); g != nil && g.RefreshToken != "" {
				secrets = append(secrets, g.RefreshToken)
			}
		}
	}
	for _, txt := range texts {
		for _, s := range secrets {
			if strings.Contains(txt, s) {
				t.Fatalf("a secret shows in %q", txt)
			}
		}
	}
}
