package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/server"
)

const (
	loginWebClient = "1180000000021"
	loginWebSecret = "browser-login-web-secret"
)

// TestBrowserWebLogin drives real headless Chromium through a web app's
// login: a connect link from POST /connect, Coze's consent page (the
// emulator asks, with its cookie and form token), a click on Approve, the
// callback, and back to the application's page. The grant is then stored
// and redeems into a token Coze accepts.
func TestBrowserWebLogin(t *testing.T) {
	chromium := needChromium(t)
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	start := time.Now()

	emu := emulator.New(emulator.Options{Region: "cn", Approve: emulator.ApproveAsk})
	cz := httptest.NewServer(emu)
	defer cz.Close()

	// The application's own page, where the browser comes back.
	var appVisits atomic.Int32
	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		appVisits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, `<!doctype html><title>app</title><h1 id="settings">Settings</h1>`)
	}))
	defer appSrv.Close()
	returnTo := appSrv.URL + "/account/coze?tab=connect"

	// cozeauth's server starts first so the redirect URI is known.
	var h atomic.Pointer[server.Server]
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.Load().ServeHTTP(w, r) }))
	defer gw.Close()
	redirect := gw.URL + server.LoginCallbackPath
	emu.AddWebApp(loginWebClient, loginWebSecret, redirect)

	cfg := &config.Config{Source: "test", DefaultSession: config.DefaultSession, DefaultApp: "web",
		Cache: config.Cache{MaxEntries: 100, Skew: 30 * time.Second},
		Apps: []config.App{{Name: "web", Kind: config.KindWeb, Region: coze.RegionCN, ClientID: loginWebClient,
			APIBase: cz.URL, WWWBase: cz.URL, WSBase: coze.WSBaseFor(cz.URL), Duration: 900,
			Web: &config.WebApp{ClientSecret: loginWebSecret, RedirectURI: redirect}}}}
	store := grant.NewMemory()
	client := &coze.Client{Timeout: 10 * time.Second}
	src, err := credential.New(&cfg.Apps[0], credential.Deps{Client: client, Grants: store})
	if err != nil {
		t.Fatal(err)
	}
	b := broker.New(map[string]broker.Source{"web": src}, broker.Options{MaxEntries: 100})
	defer b.Close()
	srv, err := server.New(cfg, b, server.Options{Grants: store, Client: client, LoginReturnTo: []string{appSrv.URL + "/account/"}})
	if err != nil {
		t.Fatal(err)
	}
	h.Store(srv)

	// The backend asks for a connect link (open mode on loopback: no key).
	status, body := post(t, gw.URL+"/connect", `{"app":"web","subject":"alice","return_to":`+jsonString(returnTo)+`}`, nil)
	if status != 200 {
		t.Fatalf("POST /connect: %d %s", status, body)
	}
	var ans struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &ans); err != nil || !strings.HasPrefix(ans.URL, gw.URL+server.LoginStartPath+"?") {
		t.Fatalf("POST /connect answered %s (%v)", body, err)
	}

	// Chromium opens the link, is shown the consent page, and approves.
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()))
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.Navigate(ans.URL), chromedp.WaitVisible(chromedp.ID("approve"))); err != nil {
		t.Fatalf("the consent page did not show: %v", err)
	}
	consentURL, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	appName, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("app")))
	if err != nil {
		t.Fatal(err)
	}
	// The app page, or a result page of cozeauth or Coze telling what failed.
	if err := chromedp.Do(tab, chromedp.Click(chromedp.ID("approve")), chromedp.WaitVisible(chromedp.CSS("#settings, #result"))); err != nil {
		t.Fatalf("after Approve the browser reached no page: %v", err)
	}
	landed, err := chromedp.Run(tab, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(landed, appSrv.URL+"/") {
		text, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS("body")))
		where := landed
		if u, err := url.Parse(landed); err == nil {
			where = u.Scheme + "://" + u.Host + u.Path // not the code in the query
		}
		t.Fatalf("after Approve the browser ended at %s, not the app page:\n%s", where, text)
	}
	if !strings.HasPrefix(consentURL, cz.URL+"/") {
		t.Errorf("the consent page was at %q, not at Coze %s", consentURL, cz.URL)
	}
	if !strings.Contains(appName, loginWebClient) {
		t.Errorf("the consent page does not name the app %s: %q", loginWebClient, appName)
	}
	u, err := url.Parse(landed)
	if err != nil || !strings.HasPrefix(landed, appSrv.URL+"/account/coze?") || u.Query().Get("cozeauth") != "connected" || u.Query().Get("tab") != "connect" {
		t.Fatalf("the browser ended at %q, want %s with cozeauth=connected", landed, returnTo)
	}
	if n := appVisits.Load(); n != 1 {
		t.Errorf("the app page was loaded %d times, want 1", n)
	}

	g, err := store.Get(ctx, "web", "alice")
	if err != nil || g.State != grant.Active || g.RefreshToken == "" {
		t.Fatalf("grant of (web, alice) after the login: %v, %v", g, err)
	}
	if n := emu.MintsByGrant(emulator.GrantAuthorizationCode); n != 1 {
		t.Errorf("%d code exchanges, want 1", n)
	}

	status, body = post(t, gw.URL+"/token", `{"app":"web"}`, map[string]string{"X-User-ID": "alice"})
	if status != 200 {
		t.Fatalf("POST /token for alice: %d %s", status, body)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.AccessToken == "" {
		t.Fatalf("POST /token answered %s (%v)", body, err)
	}
	req, _ := http.NewRequest("GET", cz.URL+"/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if got := usersMe(t, req); got != emulator.DefaultUser {
		t.Errorf("Coze sees the token as user %q, want %q", got, emulator.DefaultUser)
	}
	req, _ = http.NewRequest("GET", gw.URL+"/v1/users/me", nil)
	req.Header.Set("X-User-ID", "alice")
	req.Header.Set(server.AppHeader, "web")
	if got := usersMe(t, req); got != emulator.DefaultUser {
		t.Errorf("through the gateway Coze sees user %q, want %q", got, emulator.DefaultUser)
	}
	t.Logf("browser login took %v", time.Since(start).Round(time.Millisecond))
}

// post sends a JSON body and answers the status and body.
func post(t *testing.T, u, body string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest("POST", u, bytes.NewBufferString(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// usersMe sends a GET /v1/users/me and answers the user id Coze names.
func usersMe(t *testing.T, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var me struct {
		Code int `json:"code"`
		Data struct {
			UserID string `json:"user_id"`
		} `json:"data"`
	}
	data, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(data, &me); err != nil || resp.StatusCode != 200 || me.Code != 0 {
		t.Fatalf("GET %s: %d %s", req.URL, resp.StatusCode, data)
	}
	return me.Data.UserID
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
