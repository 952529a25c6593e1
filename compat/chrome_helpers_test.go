package compat

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/server"
)

// newTab starts headless Chromium (Debian's, found by needChromium) and
// returns a tab, with every console message of its pages collected.
func newTab(t *testing.T, ctx context.Context, chromium string, flags ...chromedp.ExecAllocatorOption) (context.Context, *consoleLog) {
	t.Helper()
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.UserDataDir(t.TempDir()),
		// Timers of a page in the background must fire as in the foreground.
		chromedp.Flag("disable-background-timer-throttling", true), chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.WindowSize(1000, 760),
	}, flags...)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	t.Cleanup(cancelAlloc)
	tab, cancelTab := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	t.Cleanup(cancelTab)
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	cl := &consoleLog{}
	err := chromedp.Listen(tab, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			var parts []string
			for _, a := range e.Args {
				parts = append(parts, string(a.Value)+a.Description)
			}
			cl.add(string(e.Type) + ": " + strings.Join(parts, " "))
		case *runtime.EventExceptionThrown:
			cl.add("exception: " + e.ExceptionDetails.Text + " " + exceptionText(e.ExceptionDetails))
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return tab, cl
}

func exceptionText(d *runtime.ExceptionDetails) string {
	if d.Exception != nil {
		return d.Exception.Description
	}
	return ""
}

// consoleLog is what a page wrote to its console, and uncaught errors.
type consoleLog struct {
	mu    sync.Mutex
	lines []string
}

func (c *consoleLog) add(s string) {
	c.mu.Lock()
	c.lines = append(c.lines, s)
	c.mu.Unlock()
}

func (c *consoleLog) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// evalJS runs a JavaScript expression, awaiting a promise, and decodes
// its value.
func evalJS[T any](ctx context.Context, js string) (T, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// artifactDir is where browser tests leave screenshots: $COZEAUTH_ARTIFACTS,
// else a temporary directory of the test.
func artifactDir(t *testing.T) string {
	if d := os.Getenv("COZEAUTH_ARTIFACTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(tab, chromedp.CaptureScreenshot())
	if err != nil {
		t.Errorf("screenshot: %v", err)
		return
	}
	path := filepath.Join(artifactDir(t), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Error(err)
		return
	}
	t.Logf("screenshot: %s", path)
}

// cozeTestbed is the Coze emulator with one JWT app, served on loopback.
type cozeTestbed struct {
	emu *emulator.Server
	url string
	key *rsa.PrivateKey

	mu       sync.Mutex
	chatAuth []string
}

func newCozeTestbed(t *testing.T) *cozeTestbed {
	t.Helper()
	emu := emulator.New(emulator.Options{StreamDelay: 5 * time.Millisecond})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu.AddKey("1170000000000", "kid", &key.PublicKey)
	tb := &cozeTestbed{emu: emu, key: key}
	cz := httptest.NewServer(http.HandlerFunc(tb.serve))
	t.Cleanup(cz.Close)
	tb.url = cz.URL
	return tb
}

// serve is the emulator as a browser reaches Coze's API: with CORS, as
// Coze answers its Chat SDK; it records the bearer token of every chat.
func (c *cozeTestbed) serve(w http.ResponseWriter, r *http.Request) {
	if o := r.Header.Get("Origin"); o != "" {
		w.Header().Set("Access-Control-Allow-Origin", o)
		if r.Method == http.MethodOptions {
			w.Header().Set("Access-Control-Allow-Headers", "Authorization, Content-Type")
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	if r.URL.Path == "/v3/chat" {
		c.mu.Lock()
		c.chatAuth = append(c.chatAuth, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		c.mu.Unlock()
	}
	c.emu.ServeHTTP(w, r)
}

// chatTokens are the bearer tokens of the chats Coze received.
func (c *cozeTestbed) chatTokens() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.chatAuth...)
}

// valid reports whether Coze (the emulator) accepts tok now.
func (c *cozeTestbed) valid(t *testing.T, tok string) bool {
	req, _ := http.NewRequest("POST", c.url+"/v3/chat", strings.NewReader(`{"bot_id":"7001","user_id":"u","additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("ask the emulator: %v", err)
		return false
	}
	defer resp.Body.Close()
	var ans struct {
		Code int `json:"code"`
	}
	return json.NewDecoder(resp.Body).Decode(&ans) == nil && resp.StatusCode == 200 && ans.Code == 0
}

// startCozeauth serves cozeauth for the testbed's app configured from
// YAML (access holds policies and clients; empty is open mode), behind
// wrap when given, and returns its URL.
func startCozeauth(t *testing.T, cz *cozeTestbed, access string, o server.Options, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(cz.key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "private_key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf("apps:\n  - name: shop-bot\n    region: cn\n    client_id: \"1170000000000\"\n    key_id: kid\n    private_key_file: %s\n    api_base: %s\n    channel: true\n%s", keyFile, cz.url, access)
	cfgFile := filepath.Join(dir, "cozeauth.yaml")
	if err := os.WriteFile(cfgFile, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.LoadFile(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	a := &cfg.Apps[0]
	b := broker.New(map[string]broker.Source{a.Name: &credential.JWT{Client: &coze.Client{}, Signer: a.Signer(), TokenURL: a.TokenURL()}}, broker.Options{})
	t.Cleanup(b.Close)
	srv, err := server.New(cfg, b, o)
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = srv
	if wrap != nil {
		h = wrap(h)
	}
	gw := httptest.NewServer(h)
	t.Cleanup(gw.Close)
	return gw.URL
}

// tokenCounter counts the token requests a server answers, with what it
// answered: who asked (Origin), the status, and the token's value and
// expiry.
type tokenCounter struct {
	mu   sync.Mutex
	reqs []tokenReq
}

type tokenReq struct {
	at      time.Time
	origin  string
	status  int
	code    string // X-Cozeauth-Error
	token   string
	expires time.Time
}

func (c *tokenCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/token" || r.Method != http.MethodPost {
			h.ServeHTTP(w, r)
			return
		}
		rec := &recorder{ResponseWriter: w, status: 200}
		at := time.Now()
		h.ServeHTTP(rec, r)
		var ans struct {
			AccessToken string `json:"access_token"`
			ExpiresIn   int64  `json:"expires_in"`
		}
		_ = json.Unmarshal(rec.body.Bytes(), &ans)
		c.mu.Lock()
		c.reqs = append(c.reqs, tokenReq{at: at, origin: r.Header.Get("Origin"), status: rec.status, code: rec.Header().Get(server.ErrorHeader),
			token: ans.AccessToken, expires: time.Unix(ans.ExpiresIn, 0)})
		c.mu.Unlock()
	})
}

func (c *tokenCounter) all() []tokenReq {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]tokenReq(nil), c.reqs...)
}

type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}
