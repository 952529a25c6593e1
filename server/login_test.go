package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/policy"
)

// TestLoginFullFlow: for a web and a PKCE app, a connect link opened in a
// browser goes through Coze's consent to the callback, which stores the
// grant; /token then serves that subject with a token minted by
// redeeming the grant's refresh token.
func TestLoginFullFlow(t *testing.T) {
	for _, app := range []string{"web", "pkce"} {
		t.Run(app, func(t *testing.T) {
			loginModes(t, func(t *testing.T, lf *loginFix) {
				status, link := lf.connect(t, "", app, "bob", "")
				if status != 200 {
					t.Fatalf("connect: %d %s", status, link)
				}
				b := newBrowser(t, nil)
				status, page, _ := b.get(t, link)
				if status != 200 || !strings.Contains(page, `data-result="connected"`) || !strings.Contains(page, "bob") || !strings.Contains(page, app) {
					t.Fatalf("login: %d %s", status, page)
				}
				g := lf.grantOf(t, app, "bob")
				if g == nil || g.State != grant.Active || g.RefreshToken == "" || g.CreatedAt.IsZero() ||
					!strings.Contains(g.User, emulator.DefaultUser) || !strings.Contains(page, g.User) {
					t.Fatalf("grant after login: %v", g)
				}
				lf.noSecrets(t, page)
				if !strings.Contains(lf.audit.String(), "msg=login") || !strings.Contains(lf.audit.String(), "result=connected") {
					t.Fatalf("no login audit line: %s", lf.audit.String())
				}
				st, _, body := lf.do(t, "POST", "/token", `{"app":"`+app+`"}`, map[string]string{"X-User-ID": "bob"})
				if st != 200 {
					t.Fatalf("token for bob: %d %s", st, body)
				}
				if n := lf.emu.MintsByGrant(emulator.GrantRefreshToken); n != 1 {
					t.Fatalf("%d refresh redemptions, want 1", n)
				}
				if lf.callCoze(t, decode[tokenAnswer](t, body).AccessToken) != 200 {
					t.Fatal("the token does not work at Coze")
				}
			})
		})
	}
}

// TestLoginReturnTo: with an allowed return_to the browser ends there
// (303) with cozeauth=connected; a return_to elsewhere is refused at
// /connect.
func TestLoginReturnTo(t *testing.T) {
	lf := loginFixture(t, nil)
	rt := lf.srv.URL + "/app/settings?tab=coze"
	status, link := lf.connect(t, "", "web", "carol", rt)
	if status != 200 {
		t.Fatalf("connect: %d %s", status, link)
	}
	b := newBrowser(t, atApp)
	status, _, resp := b.get(t, link)
	if status != 303 || b.last == nil {
		t.Fatalf("login with return_to: %d", status)
	}
	if got := resp.Header.Get("Location"); !strings.HasPrefix(got, lf.srv.URL+"/app/settings?") || !strings.Contains(got, "cozeauth=connected") || !strings.Contains(got, "tab=coze") {
		t.Fatalf("sent to %q", got)
	}
	if lf.grantOf(t, "web", "carol") == nil {
		t.Fatal("nothing stored")
	}
	status, _ = lf.connect(t, "", "web", "carol", "https://app.example/account/coze")
	if status != 200 {
		t.Fatalf("a return_to under login_return_to: %d", status)
	}
	for _, bad := range []string{"https://evil.example/", "https://app.example/accountx", "https://app.example.evil/account/", "http://app.example/account/",
		"javascript:alert(1)", "/relative", "https://user@app.example/account/", "https://app.example/account/#x"} {
		status, body := lf.connect(t, "", "web", "carol", bad)
		if status != 400 || !strings.Contains(body, "return_to") {
			t.Fatalf("return_to %q: %d %s", bad, status, body)
		}
	}
}

// TestLoginOtherBrowserRefused: a login started in browser A and finished
// in browser B (account substitution, login CSRF) is refused and stores
// nothing; A can still finish it.
func TestLoginOtherBrowserRefused(t *testing.T) {
	loginModes(t, func(t *testing.T, lf *loginFix) {
		_, link := lf.connect(t, "", "web", "dave", "")
		a := newBrowser(t, atCallback)
		if status, _, _ := a.get(t, link); status != 302 || a.last == nil {
			t.Fatalf("browser A did not reach the callback: %d", status)
		}
		callback := a.last.String()
		b := newBrowser(t, nil)
		status, page, _ := b.get(t, callback)
		if status != 403 || !strings.Contains(page, "another browser") {
			t.Fatalf("callback in browser B: %d %s", status, page)
		}
		lf.noGrants(t)
		if !strings.Contains(lf.audit.String(), "result=refused_other_browser") || !strings.Contains(lf.audit.String(), "session=dave") {
			t.Fatalf("audit: %s", lf.audit.String())
		}
		if code := a.last.Query().Get("code"); code == "" || strings.Contains(page, code) {
			t.Fatal("the page shows the code")
		}
		a2 := &browser{c: a.c} // same cookies, follows the callback
		a2.c.CheckRedirect = nil
		if status, page, _ := a2.get(t, callback); status != 200 || lf.grantOf(t, "web", "dave") == nil {
			t.Fatalf("browser A finishing: %d %s", status, page)
		}
	})
}

// TestLoginLinkOnce: a connect link works once.
func TestLoginLinkOnce(t *testing.T) {
	loginModes(t, func(t *testing.T, lf *loginFix) {
		_, link := lf.connect(t, "", "web", "erin", "")
		a := newBrowser(t, atCallback)
		a.get(t, link)
		for _, br := range []*browser{a, newBrowser(t, atCallback)} {
			status, page, _ := br.get(t, link)
			if status != 410 || !strings.Contains(page, "already used") {
				t.Fatalf("link used again: %d %s", status, page)
			}
		}
		if status, _, _ := a.get(t, lf.srv.URL+LoginStartPath+"?t=nosuchlink"); status != 404 {
			t.Fatalf("unknown link: %d", status)
		}
		lf.noGrants(t)
	})
}

// TestLoginReplayRefused: a callback used once is refused the second
// time and the stored grant stays as it is.
func TestLoginReplayRefused(t *testing.T) {
	loginModes(t, func(t *testing.T, lf *loginFix) {
		_, link := lf.connect(t, "", "web", "frank", "")
		a := newBrowser(t, atCallback)
		a.get(t, link)
		callback := a.last.String()
		a.c.CheckRedirect = nil
		if status, _, _ := a.get(t, callback); status != 200 {
			t.Fatalf("first callback: %d", status)
		}
		before := lf.grantOf(t, "web", "frank")
		status, page, _ := a.get(t, callback)
		if status != 409 || !strings.Contains(page, "already") {
			t.Fatalf("replayed callback: %d %s", status, page)
		}
		if after := lf.grantOf(t, "web", "frank"); after.Version != before.Version {
			t.Fatal("the replay changed the grant")
		}
	})
}

// TestLoginExpired: a state older than LoginStateTTL, and a link older
// than ConnectLinkTTL, are refused.
func TestLoginExpired(t *testing.T) {
	loginModes(t, func(t *testing.T, lf *loginFix) {
		_, link := lf.connect(t, "", "web", "gina", "")
		_, link2 := lf.connect(t, "", "web", "gina", "")
		a := newBrowser(t, atCallback)
		a.get(t, link)
		lf.skew.Store(int64(LoginStateTTL + time.Second))
		a.c.CheckRedirect = nil
		status, page, _ := a.get(t, a.last.String())
		if status != 400 || !strings.Contains(page, "expired") {
			t.Fatalf("expired state: %d %s", status, page)
		}
		status, page, _ = a.get(t, link2)
		if status != 410 || !strings.Contains(page, "expired") {
			t.Fatalf("expired link: %d %s", status, page)
		}
		lf.noGrants(t)
	})
}

// TestLoginDenied: consent refused at Coze stores nothing.
func TestLoginDenied(t *testing.T) {
	lf := loginFixture(t, nil)
	lf.emu.SetApprove(emulator.ApproveDeny)
	_, link := lf.connect(t, "", "pkce", "hank", "")
	status, page, _ := newBrowser(t, nil).get(t, link)
	if status != 403 || !strings.Contains(page, "declined") {
		t.Fatalf("denied: %d %s", status, page)
	}
	lf.noGrants(t)
	if !strings.Contains(lf.audit.String(), "result=denied") {
		t.Fatal("no audit line for the refusal")
	}
}

// TestLoginBadCallbacks: forged or incomplete callbacks get a page with a
// 4xx status and store nothing.
func TestLoginBadCallbacks(t *testing.T) {
	lf := loginFixture(t, nil)
	_, link := lf.connect(t, "", "web", "ivan", "")
	a := newBrowser(t, atCallback)
	a.get(t, link)
	state := a.last.Query().Get("state")
	a.c.CheckRedirect = nil
	cb := lf.srv.URL + LoginCallbackPath
	for _, c := range []struct {
		query  string
		status int
	}{
		{"", 400},
		{"code=abc", 400},
		{"state=forged&code=abc", 400},
		{"state=" + url.QueryEscape(state) + "&state=x&code=abc", 400},
		{"state=" + url.QueryEscape(state) + "&code=" + strings.Repeat("a", 3000), 400},
		{"state=" + url.QueryEscape(state) + "&code=wrong-code", 400}, // spends the state
		{"state=" + url.QueryEscape(state) + "&code=abc", 409},
	} {
		status, page, _ := a.get(t, cb+"?"+c.query)
		if status != c.status || !strings.Contains(page, `data-result="error"`) {
			t.Fatalf("callback ?%.60s: %d %s", c.query, status, page)
		}
	}
	lf.noGrants(t)
	lf.noSecrets(t)
	// A missing code after a valid state.
	_, link = lf.connect(t, "", "web", "ivan", "")
	a.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if atCallback(req.URL) {
			a.last = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	a.get(t, link)
	a.c.CheckRedirect = nil
	if status, _, _ := a.get(t, cb+"?state="+url.QueryEscape(a.last.Query().Get("state"))); status != 400 {
		t.Fatalf("no code: %d", status)
	}
	lf.noGrants(t)
}

// TestConnectRefusals: /connect refuses apps that are not logged in
// through a browser, missing subjects and malformed bodies.
func TestConnectRefusals(t *testing.T) {
	lf := loginFixture(t, nil)
	for _, c := range []struct {
		body, code string
		status     int
	}{
		{`{"app":"good","subject":"x"}`, "not_a_login_app", 400},
		{`{"app":"nosuch","subject":"x"}`, "unknown_app", 404},
		{`{"app":"web"}`, "bad_request", 400},
		{`{"app":"web","subject":"x","extra":1}`, "bad_request", 400},
		{``, "bad_request", 400},
	} {
		status, _, body := lf.do(t, "POST", "/connect", c.body, nil)
		if status != c.status || !strings.Contains(string(body), c.code) {
			t.Fatalf("%s: %d %s", c.body, status, body)
		}
	}
}

// TestConnectPartitions: under a prefix-mode policy the subject is the
// client's partition; another client naming the same subject, or even the
// first client's partitioned name, connects into its own partition and
// never into the first client's.
func TestConnectPartitions(t *testing.T) {
	acc, keys := testAccess(t)
	acc.Policies = append(acc.Policies, policy.Policy{Name: "users", Apps: []string{"web", "pkce"}, Session: policy.SessionPrefix})
	for i := range acc.Clients {
		if acc.Clients[i].Name == "alpha" || acc.Clients[i].Name == "beta" {
			acc.Clients[i].Policy = "users"
		}
	}
	lf := loginFixture(t, &acc)
	status, link := lf.connect(t, keys.alpha, "web", "alice", "")
	if status != 200 {
		t.Fatalf("alpha connect: %d %s", status, link)
	}
	if status, page, _ := newBrowser(t, nil).get(t, link); status != 200 {
		t.Fatalf("alpha login: %d %s", status, page)
	}
	ms, _ := lf.store.List(t.Context(), "web")
	if len(ms) != 1 || !strings.HasSuffix(ms[0].Subject, policy.SessionSep+"alice") || ms[0].Subject == "alice" {
		t.Fatalf("stored grants: %v", ms)
	}
	alphaSubject := ms[0].Subject
	tok := func(key string) int {
		st, _, _ := lf.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"Authorization": "Bearer " + key, "X-User-ID": "alice"})
		return st
	}
	if tok(keys.alpha) != 200 || tok(keys.beta) != 403 {
		t.Fatal("alice's grant does not serve exactly alpha's alice")
	}
	alphaVersion := lf.grantOf(t, "web", alphaSubject).Version
	// beta names alpha's partitioned subject: refused, or partitioned again.
	status, body := lf.connect(t, keys.beta, "web", alphaSubject, "")
	if status == 200 {
		newBrowser(t, nil).get(t, body)
	} else if status != 403 || !strings.Contains(body, "session_not_allowed") {
		t.Fatalf("beta naming alpha's subject: %d %s", status, body)
	}
	// beta's own alice is its own partition.
	if status, link := lf.connect(t, keys.beta, "web", "alice", ""); status != 200 {
		t.Fatalf("beta connect: %d %s", status, link)
	} else {
		newBrowser(t, nil).get(t, link)
	}
	ms, _ = lf.store.List(t.Context(), "web")
	for _, m := range ms {
		if m.Subject != alphaSubject && !strings.HasPrefix(m.Subject, "beta#") {
			t.Fatalf("beta connected outside its partition: %q", m.Subject)
		}
	}
	if len(ms) < 2 || tok(keys.beta) != 200 {
		t.Fatalf("beta's alice: %v", ms)
	}
	if g := lf.grantOf(t, "web", alphaSubject); g == nil || g.Version != alphaVersion {
		t.Fatal("beta changed alpha's grant")
	}
	// Without a key: refused.
	if status, _ := lf.connect(t, "", "web", "alice", ""); status != 401 {
		t.Fatalf("connect without a key: %d", status)
	}
	// A public policy's page may not ask for links.
	st, _, data := lf.do(t, "POST", "/connect", `{"app":"good","subject":"x"}`, map[string]string{"Origin": shopOrigin})
	if st != 403 || !strings.Contains(string(data), "connect_needs_client_key") {
		t.Fatalf("public page: %d %s", st, data)
	}
	// return_to must be among the policy's origins (or login_return_to).
	if status, body := lf.connect(t, keys.alpha, "web", "alice", "http://127.0.0.1/x"); status != 400 {
		t.Fatalf("loopback return_to outside open mode: %d %s", status, body)
	}
}

// TestLoginNeedsLoginCleared: a subject that got needs_login just before
// connecting is served right after, not after the broker's back-off.
func TestLoginNeedsLoginCleared(t *testing.T) {
	lf := loginFixture(t, nil)
	for range 3 {
		if st, _, body := lf.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"X-User-ID": "jill"}); st != 403 || !strings.Contains(string(body), "needs_login") {
			t.Fatalf("before login: %d %s", st, body)
		}
	}
	_, link := lf.connect(t, "", "web", "jill", "")
	newBrowser(t, nil).get(t, link)
	if st, _, body := lf.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"X-User-ID": "jill"}); st != 200 {
		t.Fatalf("right after login: %d %s", st, body)
	}
}

// TestConnectTableBounded: the connect links held at once are capped
// (503 when full); lapsed ones make room again.
func TestConnectTableBounded(t *testing.T) {
	lf := loginFixture(t, nil)
	lf.server.logins.(*loginTable).max = 2
	for i := range 3 {
		status, body := lf.connect(t, "", "web", "kim", "")
		if want := map[bool]int{true: 503, false: 200}[i == 2]; status != want {
			t.Fatalf("link %d: %d %s", i, status, body)
		}
	}
	lf.skew.Store(int64(ConnectLinkTTL + time.Second))
	if status, body := lf.connect(t, "", "web", "kim", ""); status != 200 {
		t.Fatalf("after the links lapsed: %d %s", status, body)
	}
}
