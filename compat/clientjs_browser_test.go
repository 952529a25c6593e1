package compat

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cozeauth/cozeauth/server"
)

// clientPage loads /client.js from cozeauth, asks for a token and calls
// the gateway, and posts what happened back.
const clientPage = `<!doctype html><title>shop</title>
<script src="%[1]s/client.js"></script>
<script>
(async () => {
  const out = {};
  try {
    const t = await cozeauth.getToken();
    out.token = t.slice(0, 4);
  } catch (e) {
    out.name = e.name; out.code = e.code; out.message = e.message;
  }
  try {
    const r = await fetch('%[1]s/v3/chat', {method: 'POST', credentials: 'include', headers: {'Content-Type': 'application/json'},
      body: JSON.stringify({bot_id: '7001', user_id: 'v', additional_messages: [{role: 'user', content: 'hi', content_type: 'text'}]})});
    out.chat = r.status;
  } catch (e) {
    out.chat_error = String(e);
  }
  await fetch('/result', {method: 'POST', body: JSON.stringify(out)});
})();
</script>`

// TestBrowserClientJSOrigins loads /client.js on a page of the origin a
// public policy lists (it gets a cookie-bound token and chats through the
// gateway) and on a page of another origin: there getToken rejects with a
// CozeauthError saying what to check, the gateway call fails in the
// browser, and nothing reaches Coze.
func TestBrowserClientJSOrigins(t *testing.T) {
	chromium := needChromium(t)
	t.Parallel()
	cz := newCozeTestbed(t)
	var shop, stranger pageServer
	shop.start(t)
	stranger.start(t)
	var tc tokenCounter
	gw := startCozeauth(t, cz, fmt.Sprintf(`policies:
  - name: widget
    public: true
    apps: [shop-bot]
    origins: [%s]
    scope:
      account_permission: {permission_list: [Connector.botChat]}
      attribute_constraint:
        connector_bot_chat_attribute: {bot_id_list: ["7001"]}
    rate_per_ip: 100/m burst 20
`, shop.srv.URL), server.Options{}, tc.wrap)
	shop.html.Store(fmt.Sprintf(clientPage, gw))
	stranger.html.Store(fmt.Sprintf(clientPage, gw))
	strangerURL := strings.Replace(stranger.srv.URL, "127.0.0.1", "localhost", 1)

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab, _ := newTab(t, ctx, chromium)
	visit := func(u string, p *pageServer) map[string]any {
		if err := chromedp.Do(tab, chromedp.Navigate(u)); err != nil {
			t.Fatal(err)
		}
		select {
		case out := <-p.result:
			return out
		case <-ctx.Done():
			t.Fatalf("%s posted no result", u)
			return nil
		}
	}
	got := visit(shop.srv.URL, &shop)
	if got["token"] != "czs_" || got["chat"] != 200.0 {
		t.Errorf("on the listed origin: %v, want a token and a chat", got)
	}
	before := cz.emu.Requests()
	got = visit(strangerURL, &stranger)
	if got["name"] != "CozeauthError" || got["code"] != "network" || !strings.Contains(fmt.Sprint(got["message"]), "origin") || got["chat_error"] == nil {
		t.Errorf("on another origin: %v, want a CozeauthError (network) naming the origin, and a failed chat", got)
	}
	if cz.emu.Requests() != before {
		t.Error("a page on another origin reached Coze")
	}
	for _, r := range tc.all() {
		if r.origin != shop.srv.URL {
			t.Errorf("a token request from %s got through the preflight (status %d)", r.origin, r.status)
		}
	}
}

// TestBrowserClientJSBadTokenEndpoint points client.js at a stand-in token
// endpoint answering 401, 403, 429, 503, garbage, or 503 once then a
// token. Each caller gets a CozeauthError with cozeauth's error code
// (from the JSON body: CORS hides the header) or a clear code of its own;
// transient failures are retried twice with backoff, others not; a caller
// asking again and again meanwhile is answered from the backoff, so the
// endpoint sees a handful of requests, not a loop; nothing is written to
// the console, least of all a token.
func TestBrowserClientJSBadTokenEndpoint(t *testing.T) {
	chromium := needChromium(t)
	t.Parallel()
	cz := newCozeTestbed(t)
	gw := startCozeauth(t, cz, "", server.Options{}, nil)
	const secret = "czs_stand_in_token_never_logged"
	var mu sync.Mutex
	counts := map[string]int{}
	var page string
	stand := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		switch {
		case r.URL.Path == "/":
			h.Set("Content-Type", "text/html")
			io.WriteString(w, page)
			return
		case r.URL.Path == "/result" || r.URL.Path == "/favicon.ico":
			return
		}
		mode, ok := strings.CutPrefix(r.URL.Path, "/token/")
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.Set("Access-Control-Allow-Origin", r.Header.Get("Origin"))
		h.Set("Access-Control-Allow-Credentials", "true")
		h.Set("Access-Control-Expose-Headers", "Retry-After")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Headers", "Content-Type, X-API-Key")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		mu.Lock()
		counts[mode]++
		n := counts[mode]
		mu.Unlock()
		fail := func(status int, code, msg string) {
			h.Set(server.ErrorHeader, code)
			h.Set("Content-Type", "application/json")
			w.WriteHeader(status)
			json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}, "msg": msg})
		}
		switch mode {
		case "401":
			fail(401, "invalid_client_key", "the client key in the X-API-Key header is not valid")
		case "403":
			fail(403, "origin_not_allowed", "requests from this browser origin are not allowed by the policy")
		case "429":
			h.Set("Retry-After", "1")
			fail(429, "rate_limited", "too many requests from this address; retry after 1s")
		case "503":
			fail(503, "upstream_unavailable", "Coze is unavailable")
		case "garbage200":
			io.WriteString(w, "<html>a captive portal</html>")
		case "garbage502":
			w.WriteHeader(502)
			io.WriteString(w, "Bad Gateway "+secret)
		case "flaky":
			if n == 1 {
				fail(503, "upstream_unavailable", "Coze is unavailable")
				return
			}
			fmt.Fprintf(w, `{"access_token":%q,"expires_in":%d,"token_type":"Bearer"}`, secret, time.Now().Add(time.Hour).Unix())
		}
	}))
	defer stand.Close()
	page = fmt.Sprintf(`<!doctype html><script src="%s/client.js"></script><script>
const modes = ['401', '403', '429', '503', 'garbage200', 'garbage502', 'flaky'];
async function probe(mode) {
  const p = cozeauth.create({url: location.origin, path: '/token/' + mode, maxBackoff: 8});
  const out = {};
  try { out.token = (await p.getToken()).length; } catch (e) { out.name = e.name; out.code = e.code; out.status = e.status; out.retryAfter = e.retryAfter; out.message = e.message; }
  // A caller asking as fast as it can for 1.5 s.
  let tries = 0, rejected = 0;
  for (const end = Date.now() + 1500; Date.now() < end; tries++) {
    try { await p.getToken(); } catch (e) { rejected++; if (e.code !== out.code) out.other = e.code; }
    await new Promise(r => setTimeout(r, 0));
  }
  out.tries = tries; out.rejected = rejected;
  return out;
}
Promise.all(modes.map(probe)).then(r => {
  const out = {};
  modes.forEach((m, i) => out[m] = r[i]);
  fetch('/result', {method: 'POST', body: JSON.stringify(out)});
  window.result = out;
});
</script>`, gw)

	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab, console := newTab(t, ctx, chromium)
	if err := chromedp.Do(tab, chromedp.Navigate(stand.URL)); err != nil {
		t.Fatal(err)
	}
	got, err := chromedp.Run(tab, chromedp.Poll[map[string]map[string]any](`window.result`, chromedp.WithPollingTimeout(60*time.Second)))
	if err != nil {
		t.Fatalf("the page finished no probe: %v; console: %q", err, console.all())
	}
	cases := []struct {
		mode, code string
		status     float64
		first      int // requests the first call made: 1, or 3 when retried twice
	}{
		{"401", "invalid_client_key", 401, 1},
		{"403", "origin_not_allowed", 403, 1},
		{"429", "rate_limited", 429, 3},
		{"503", "upstream_unavailable", 503, 3},
		{"garbage200", "bad_response", 200, 1},
		{"garbage502", "http_502", 502, 3},
	}
	mu.Lock()
	defer mu.Unlock()
	for _, c := range cases {
		g := got[c.mode]
		if g["name"] != "CozeauthError" || g["code"] != c.code || g["status"] != c.status || g["other"] != nil {
			t.Errorf("%s: the caller got %v, want CozeauthError %s (status %v)", c.mode, g, c.code, c.status)
		}
		if msg := fmt.Sprint(g["message"]); !strings.HasPrefix(msg, "cozeauth: ") || strings.Contains(msg, secret) {
			t.Errorf("%s: message %q", c.mode, msg)
		}
		tries, _ := g["tries"].(float64)
		// The first call's requests, then at most one round (with its
		// retries) per backoff window during the 1.5 s of asking.
		if n := counts[c.mode]; n < c.first || n > 3*c.first || tries < 10 || g["rejected"] != tries {
			t.Errorf("%s: %d requests reached the endpoint for %v calls (%v rejected): want %d to %d", c.mode, n, tries+1, g["rejected"], c.first, 3*c.first)
		}
	}
	if g := got["429"]; g["retryAfter"] != 1.0 {
		t.Errorf("429: retryAfter %v, want the server's Retry-After 1", g["retryAfter"])
	}
	if g := got["flaky"]; g["token"] != float64(len(secret)) || counts["flaky"] != 2 || g["rejected"] != 0.0 {
		t.Errorf("503 then a token: %v after %d requests, want the token after one retry and then from the cache", g, counts["flaky"])
	}
	for _, l := range console.all() {
		t.Errorf("client.js wrote to the console: %q", l)
	}
}
