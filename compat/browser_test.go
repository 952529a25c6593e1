package compat

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/server"
)

// needChromium finds Debian's Chromium. Without it the browser test skips,
// except in CI (.ci/run installs it), where that is a failure.
func needChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is needed for the browser test (Debian: apt-get install chromium)")
	}
	t.Skip("chromium not installed")
	return ""
}

// widgetPage is a public shop page with no secret: it gets a token and
// streams a chat through the gateway with the browser's cookies, tries a
// path the widget policy does not allow, and posts what happened back.
const widgetPage = `<!doctype html><title>shop</title><script>
const gw = %q;
async function run() {
  const out = {};
  try {
    const t = await fetch(gw + '/token', {method: 'POST', credentials: 'include'});
    out.token_status = t.status;
    const tj = await t.json();
    out.token_type = tj.token_type;
    if (!t.ok) out.token_error = tj.msg;
    const chat = await fetch(gw + '/v3/chat', {
      method: 'POST', credentials: 'include',
      headers: {'Content-Type': 'application/json', 'Authorization': 'Bearer public'},
      body: JSON.stringify({bot_id: '7001', user_id: 'visitor', stream: true,
        additional_messages: [{role: 'user', content: 'hi from the browser', content_type: 'text'}]}),
    });
    out.chat_status = chat.status;
    out.chat_type = chat.headers.get('Content-Type');
    out.logid = chat.headers.get('X-Tt-Logid') !== null;
    const reader = chat.body.getReader();
    const dec = new TextDecoder();
    let text = '', reads = 0;
    for (;;) {
      const {done, value} = await reader.read();
      if (done) break;
      reads++;
      text += dec.decode(value, {stream: true});
    }
    out.reads = reads;
    out.events = (text.match(/^event:/gm) || []).length;
    out.done = text.includes('event:done');
    out.echo = text.includes('You said: hi from the browser');
    const other = await fetch(gw + '/v1/workspaces', {credentials: 'include'});
    out.other_status = other.status;
    out.other_code = (await other.json()).error.code;
  } catch (e) {
    out.error = String(e);
  }
  await fetch('/result', {method: 'POST', body: JSON.stringify(out)});
}
run();
</script>`

// strangerPage runs on an origin the policy does not list.
const strangerPage = `<!doctype html><title>elsewhere</title><script>
fetch(%q + '/token', {method: 'POST', credentials: 'include'})
  .then(r => ({status: r.status}), e => ({error: String(e)}))
  .then(out => fetch('/result', {method: 'POST', body: JSON.stringify(out)}));
</script>`

// TestBrowserWidgetThroughGateway drives real headless Chromium: a page on
// an allowed origin gets a cookie-bound token and streams a chat through
// the gateway under CORS; a page on another origin is refused by the
// browser itself.
func TestBrowserWidgetThroughGateway(t *testing.T) {
	chromium := needChromium(t)
	emu := emulator.New(emulator.Options{StreamDelay: 5 * time.Millisecond})
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu.AddKey("1170000000000", "kid", &key.PublicKey)
	cz := httptest.NewServer(emu)
	defer cz.Close()

	var page, stranger pageServer
	page.start(t)
	stranger.start(t)
	gw := startWidgetGateway(t, key, cz.URL, page.srv.URL)
	page.html.Store(fmt.Sprintf(widgetPage, gw))
	// localhost is another site than 127.0.0.1: the stranger's origin.
	stranger.html.Store(fmt.Sprintf(strangerPage, gw))
	strangerURL := strings.Replace(stranger.srv.URL, "127.0.0.1", "localhost", 1)

	got := browse(t, chromium, page.srv.URL, &page)
	want := map[string]any{
		"token_status": 200.0, "token_type": "Bearer", "chat_status": 200.0, "chat_type": "text/event-stream",
		"done": true, "echo": true, "other_status": 403.0, "other_code": "path_not_allowed",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if n, _ := got["events"].(float64); n < 8 {
		t.Errorf("%v events reached the page, want the whole stream", got["events"])
	}
	if n, _ := got["reads"].(float64); n < 3 {
		t.Errorf("the stream arrived in %v reads: it was buffered, not streamed", got["reads"])
	}
	// One visitor: the token request and the chat shared one cookie session.
	if n, session := emu.Mints(), fmt.Sprint(emu.LastClaims()["session_name"]); n != 1 || !strings.HasPrefix(session, "visitor:") {
		t.Errorf("%d mints, last session %q: want 1 mint for one cookie-bound visitor session", n, session)
	}

	before := emu.Requests()
	got = browse(t, chromium, strangerURL, &stranger)
	if got["error"] == nil {
		t.Errorf("a page on another origin read the answer: %v", got)
	}
	if emu.Requests() != before {
		t.Error("a request from a stranger origin reached Coze")
	}
}

// startWidgetGateway serves cozeauth with one public widget policy for
// origin, configured from YAML as a user would.
func startWidgetGateway(t *testing.T, key *rsa.PrivateKey, apiBase, origin string) string {
	t.Helper()
	dir := t.TempDir()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "private_key.pem")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml := fmt.Sprintf(`apps:
  - name: shop-bot
    region: cn
    client_id: "1170000000000"
    key_id: kid
    private_key_file: %s
    api_base: %s
    channel: true # the widget holds raw tokens: only a channel app's are scoped by Coze
policies:
  - name: widget
    public: true
    apps: [shop-bot]
    origins: [%s]
    session: cookie
    scope:
      account_permission: {permission_list: [Connector.botChat]}
      attribute_constraint:
        connector_bot_chat_attribute: {bot_id_list: ["7001"]}
    max_duration: 600
    rate_per_ip: 100/m burst 20
`, keyFile, apiBase, origin)
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
	srv, err := server.New(cfg, b, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	t.Cleanup(gw.Close)
	return gw.URL
}

// pageServer serves one page and receives its result.
type pageServer struct {
	srv    *httptest.Server
	html   atomic.Value // string: set after the server has its address
	result chan map[string]any
}

func (p *pageServer) start(t *testing.T) {
	p.result = make(chan map[string]any, 1)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, p.html.Load().(string))
		case "/result":
			var out map[string]any
			if err := json.NewDecoder(r.Body).Decode(&out); err == nil {
				select {
				case p.result <- out:
				default:
				}
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(p.srv.Close)
}

// browse opens url in headless Chromium and waits for the page's result.
func browse(t *testing.T, chromium, url string, p *pageServer) map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--user-data-dir="+t.TempDir(), url)
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	select {
	case out := <-p.result:
		return out
	case <-time.After(60 * time.Second):
		t.Fatalf("the page posted no result within 60s; chromium said:\n%s", log.String())
		return nil
	}
}
