package compat

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/server"
)

// TestBrowserStatusPage opens /status in headless Chromium as a caller on
// this machine: the page shows the app with its kind, region and last
// mint, and refreshes by itself — a denial made after the page loaded
// appears without a reload; an error message from Coze holding markup is
// shown as text, never run. A screenshot is left in $COZEAUTH_ARTIFACTS (or the test's
// temp dir).
func TestBrowserStatusPage(t *testing.T) {
	chromium := needChromium(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{Region: "cn"})
	emu.AddApp("1170000000000")
	emu.AddKey("1170000000000", "kid", &key.PublicKey)
	cz := httptest.NewServer(emu)
	defer cz.Close()
	// A Coze that refuses with markup in its error message: the page must
	// show it as text.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error_code":"invalid_client","error_message":"<img id=injected src=x onerror=\"document.title='pwned'\">"}`)
	}))
	defer evil.Close()
	cfg := &config.Config{Source: "test", DefaultSession: config.DefaultSession, DefaultApp: "shop-bot",
		Cache: config.Cache{MaxEntries: 100},
		Apps: []config.App{{Name: "shop-bot", Kind: config.KindJWT, Region: coze.RegionCN, ClientID: "1170000000000",
			APIBase: cz.URL, Audience: "api.coze.cn", Duration: 900, JWT: &config.JWTApp{KeyID: "kid", Key: key, AssertionTTL: time.Minute}},
			{Name: "evil-bot", Kind: config.KindJWT, Region: coze.RegionCN, ClientID: "1170000000000",
				APIBase: evil.URL, Audience: "api.coze.cn", Duration: 900, JWT: &config.JWTApp{KeyID: "kid", Key: key, AssertionTTL: time.Minute}}}}
	sources := map[string]broker.Source{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		sources[a.Name] = &credential.JWT{Client: &coze.Client{Retry: coze.Backoff{Attempts: 1}}, Signer: a.Signer(), TokenURL: a.TokenURL()}
	}
	b := broker.New(sources, broker.Options{})
	defer b.Close()
	srv, err := server.New(cfg, b, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	resp, err := http.Post(hs.URL+"/token", "application/json", strings.NewReader(`{"session_name":"alice"}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("token: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Post(hs.URL+"/token", "application/json", strings.NewReader(`{"app":"evil-bot"}`))
	if err != nil || resp.StatusCode != 502 {
		t.Fatalf("evil-bot token: %v %v", resp, err)
	}
	resp.Body.Close()

	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1200, 900))
	defer cancelAlloc()
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	defer cancelTab()
	if err := chromedp.Do(tab, chromedp.Navigate(hs.URL+server.StatusPath), chromedp.WaitVisible(chromedp.CSS(`body[data-loaded="true"]`))); err != nil {
		t.Fatalf("the status page did not load its data: %v", err)
	}
	apps, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS("#apps tbody")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(apps, "shop-bot") || !strings.Contains(apps, "jwt") || !strings.Contains(apps, "cn") || !strings.Contains(apps, "20") {
		t.Fatalf("apps table: %q", apps)
	}
	if !strings.Contains(apps, "<img id=injected") {
		t.Fatalf("Coze's error message is not shown as text: %q", apps)
	}
	injected, err := chromedp.Run(tab, chromedp.Evaluate[bool](`document.getElementById("injected") !== null || document.title === "pwned"`))
	if err != nil || injected {
		t.Fatalf("markup from Coze's error message became an element: %v %v", injected, err)
	}
	entries, err := chromedp.Run(tab, chromedp.Text(chromedp.ID("entries")))
	if err != nil || entries != "2" {
		t.Fatalf("cache entries shown: %q %v", entries, err)
	}

	// A denial after the page loaded: a page of another origin calls the
	// gateway (open mode answers pages on this machine only).
	req, _ := http.NewRequest("GET", hs.URL+"/v1/users/me", nil)
	req.Header.Set("Origin", "https://evil.example")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("a foreign page's gateway call: %d", resp.StatusCode)
	}
	recent := ""
	for !strings.Contains(recent, "origin_not_allowed") {
		if ctx.Err() != nil {
			t.Fatalf("the denial never appeared without a reload; the table says %q", recent)
		}
		recent, err = chromedp.Run(tab, chromedp.Text(chromedp.CSS("#recent tbody")))
		if err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(recent, "/v1/users/me") || !strings.Contains(recent, "403") {
		t.Fatalf("the denial lacks its path or status: %q", recent)
	}

	shot, err := chromedp.Run(tab, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	dir := os.Getenv("COZEAUTH_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "status-page.png")
	if err := os.WriteFile(file, shot, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", file)
}
