package compat

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/server"
)

// standInCozePage is a Coze page as the old user script found it: Coze's
// Chat SDK given a hard-coded personal access token, and calls to the Coze
// API with it (fetch and XMLHttpRequest). It posts what happened back.
const standInCozePage = `<!doctype html><title>Coze (stand-in)</title>
<script>window.CozeWebSDK = {WebChatClient: class { constructor(o) { this.options = o; } }};</script>
<script>
const PAT = 'pat_hardcoded_in_the_page', API = %q;
async function run() {
  const out = {};
  try {
    out.userscript = !!window.cozeauthUserScript;
    const client = new CozeWebSDK.WebChatClient({config: {bot_id: '7001'}, auth: {type: 'token', token: PAT}});
    out.sdk_token_is_pat = client.options.auth.token === PAT;
    out.sdk_refresh = (await client.options.auth.onRefreshToken()).slice(0, 4);
    const body = JSON.stringify({bot_id: '7001', user_id: 'me', additional_messages: [{role: 'user', content: 'hi', content_type: 'text'}]});
    const r = await fetch(API + '/v3/chat', {method: 'POST', headers: {'Authorization': 'Bearer ' + PAT, 'Content-Type': 'application/json'}, body});
    out.fetch_status = r.status;
    out.fetch_code = (await r.json()).code;
    out.xhr = await new Promise(res => {
      const x = new XMLHttpRequest();
      x.open('POST', API + '/v3/chat');
      x.setRequestHeader('Authorization', 'Bearer ' + PAT);
      x.setRequestHeader('Content-Type', 'application/json');
      x.onload = () => res({status: x.status, code: JSON.parse(x.responseText).code});
      x.onerror = () => res({error: 'xhr failed'});
      x.send(body);
    });
  } catch (e) {
    out.error = String(e);
  }
  await fetch('/result', {method: 'POST', body: JSON.stringify(out)});
}
run();
</script>`

// TestBrowserUserScript runs the user script cozeauth serves in headless
// Chromium, injected at document start into a stand-in Coze page, as a
// manager injects it. Without an extension (none can be installed
// offline) GM_xmlhttpRequest is absent and the script asks cozeauth with
// fetch, so its request carries the page's own origin: a keyed policy
// listing that origin admits it. The page's hard-coded PAT never reaches
// Coze: the Chat SDK gets cozeauth's token and refresh function, and
// every API call (fetch and XMLHttpRequest) goes out with a fresh token.
func TestBrowserUserScript(t *testing.T) {
	chromium := needChromium(t)
	t.Parallel()
	cz := newCozeTestbed(t)
	var pg pageServer
	pg.start(t)
	pg.html.Store(fmt.Sprintf(standInCozePage, cz.url))
	key, hash, err := policy.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var tc tokenCounter
	gw := startCozeauth(t, cz, fmt.Sprintf(`policies:
  - name: userscript
    apps: [shop-bot]
    session: fixed
    session_value: my-browser
    origins: [%s]
    max_duration: 900
clients:
  - {name: me, policy: userscript, key_hash: %s}
`, pg.srv.URL, hash), server.Options{}, tc.wrap)

	resp, err := http.Get(gw + server.UserScriptPath)
	if err != nil {
		t.Fatal(err)
	}
	script, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(string(script), "// ==UserScript==") {
		t.Fatalf("GET %s: %d %.200s", server.UserScriptPath, resp.StatusCode, script)
	}
	if strings.Contains(string(script), key) || strings.Contains(string(script), "PRIVATE KEY") {
		t.Fatal("the user script carries a secret")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab, console := newTab(t, ctx, chromium)
	// The manager's storage holds the key the person set from its menu.
	shim := fmt.Sprintf("window.GM_getValue = (k, d) => k === 'cozeauth_key' ? %q : d;\n", key)
	if err := chromedp.Do(tab, chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: shim + string(script)})
		return err
	}), chromedp.Navigate(pg.srv.URL)); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	select {
	case got = <-pg.result:
	case <-ctx.Done():
		t.Fatalf("the stand-in page posted no result; console: %q", console.all())
	}
	want := map[string]any{"userscript": true, "sdk_token_is_pat": false, "sdk_refresh": "czs_", "fetch_status": 200.0, "fetch_code": 0.0}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
	if x, _ := got["xhr"].(map[string]any); x["status"] != 200.0 || x["code"] != 0.0 {
		t.Errorf("XMLHttpRequest: %v, want 200 and code 0", got["xhr"])
	}
	chats := cz.chatTokens()
	if len(chats) != 2 {
		t.Errorf("Coze received %d chats, want 2", len(chats))
	}
	for _, tok := range chats {
		switch {
		case tok == "pat_hardcoded_in_the_page":
			t.Error("Coze received a chat with the page's hard-coded PAT")
		case !cz.valid(t, tok):
			t.Error("Coze received a chat with a token it refuses")
		}
	}
	reqs := tc.all()
	if len(reqs) != 1 || reqs[0].status != 200 || reqs[0].origin != pg.srv.URL {
		t.Errorf("token requests %+v: want one, admitted, carrying the page's origin %s", reqs, pg.srv.URL)
	}
	for _, l := range console.all() {
		if strings.Contains(l, "czs_") || strings.Contains(l, key) {
			t.Errorf("the console shows a secret: %q", l)
		}
	}
}

// TestBrowserExtensionOrigin measures what a request made by a browser
// extension carries, as a user script manager's GM_xmlhttpRequest is: an
// unpacked extension's background service worker posts to /token in
// headless Chromium. Its request carries Origin chrome-extension://<id>
// (and no CORS preflight: the extension holds host permission), which a
// keyed policy refuses unless it lists that origin under
// allow_extension_origins.
func TestBrowserExtensionOrigin(t *testing.T) {
	chromium := needChromium(t)
	t.Parallel()
	cz := newCozeTestbed(t)
	listed, listedHash, _ := policy.NewKey()
	other, otherHash, _ := policy.NewKey()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	id := unpackedExtensionID(dir)
	var tc tokenCounter
	gw := startCozeauth(t, cz, fmt.Sprintf(`policies:
  - {name: userscript, apps: [shop-bot], allow_extension_origins: [chrome-extension://%s]}
  - {name: plain, apps: [shop-bot]}
clients:
  - {name: me, policy: userscript, key_hash: %s}
  - {name: other, policy: plain, key_hash: %s}
`, id, listedHash, otherHash), server.Options{}, tc.wrap)
	files := map[string]string{
		"manifest.json": `{"manifest_version": 3, "name": "cozeauth probe", "version": "1", "background": {"service_worker": "bg.js"}, "host_permissions": ["http://127.0.0.1/*"]}`,
		"bg.js": fmt.Sprintf(`const ask = key => fetch(%q + '/token', {method: 'POST', headers: {'X-API-Key': key, 'Content-Type': 'application/json'}, body: '{}'}).catch(() => {});
ask(%q).then(() => ask(%q));`, gw, listed, other),
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	newTab(t, ctx, chromium, chromedp.Flag("load-extension", dir), chromedp.Flag("disable-extensions-except", dir))
	var reqs []tokenReq
	for len(reqs) < 2 && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond) // waiting for the extension, not timing it
		reqs = tc.all()
	}
	if len(reqs) != 2 {
		t.Fatalf("the extension's requests did not arrive: %+v", reqs)
	}
	origin := "chrome-extension://" + id
	if reqs[0].origin != origin || reqs[1].origin != origin {
		t.Errorf("the extension's requests carry Origin %q and %q, want %q", reqs[0].origin, reqs[1].origin, origin)
	}
	if reqs[0].status != 200 || reqs[0].token == "" {
		t.Errorf("a policy listing the extension origin answered %d %s", reqs[0].status, reqs[0].code)
	}
	if reqs[1].status != 403 || reqs[1].code != "origin_not_allowed" {
		t.Errorf("a policy not listing the extension origin answered %d %s, want 403 origin_not_allowed", reqs[1].status, reqs[1].code)
	}
}

// unpackedExtensionID is the id Chromium gives an extension loaded from
// dir: the first 128 bits of SHA-256 of the path, in the letters a-p.
func unpackedExtensionID(dir string) string {
	sum := sha256.Sum256([]byte(dir))
	h := hex.EncodeToString(sum[:16])
	b := []byte(h)
	for i, c := range b {
		if c <= '9' {
			b[i] = 'a' + c - '0'
		} else {
			b[i] = 'a' + c - 'a' + 10
		}
	}
	return string(b)
}
