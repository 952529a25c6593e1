package server

import (
	"bufio"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestGatewayEnforcesPolicyBots holds the gateway half of "the token is
// never less restricted than its policy": for an app where Coze ignores
// the scope, the gateway itself reads the bot id of chat, conversation
// and bot calls before forwarding, and refuses bots the policy does not
// list, or calls it cannot read whole.
func TestGatewayEnforcesPolicyBots(t *testing.T) {
	var f *fixture
	f, up := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) { f.emu.ServeHTTP(w, r) }, Options{})
	acc, k := testAccess(t)
	if err := f.server.Reload(f.withAccess(acc)); err != nil {
		t.Fatal(err)
	}
	alpha := with(bearer(k.alpha), "Content-Type", "application/json")
	widget := map[string]string{"Origin": shopOrigin, "Content-Type": "application/json"}
	refused := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		code                     string
	}{
		{"unlisted bot", "POST", "/v3/chat", `{"bot_id":"6666","stream":true}`, alpha, 403, "bot_not_allowed"},
		{"no bot", "POST", "/v3/chat", `{"stream":true}`, alpha, 403, "bot_not_allowed"},
		{"bot as a number", "POST", "/v3/chat", `{"bot_id":7001}`, alpha, 403, "bot_not_allowed"},
		{"second bot_id", "POST", "/v3/chat", `{"bot_id":"7001","bot_id":"6666"}`, alpha, 400, "bad_request"},
		{"bot_id in another case", "POST", "/v3/chat", `{"bot_id":"7001","Bot_ID":"6666"}`, alpha, 400, "bad_request"},
		{"unlisted bot in the query", "POST", "/v3/chat?bot_id=6666", `{"bot_id":"7001"}`, alpha, 403, "bot_not_allowed"},
		{"form body", "POST", "/v3/chat", `bot_id=6666`, with(bearer(k.alpha), "Content-Type", "application/x-www-form-urlencoded"), 415, "unsupported_media_type"},
		{"JSON body sent as text", "POST", "/v3/chat", `{"bot_id":"7001"}`, with(bearer(k.alpha), "Content-Type", "text/plain"), 415, "unsupported_media_type"},
		{"body too large to check", "POST", "/v3/chat", `{"bot_id":"7001","x":"` + strings.Repeat("a", 70<<10) + `"}`, alpha, 413, "body_too_large"},
		{"unlisted bot over WebSocket", "GET", "/v1/chat?bot_id=6666", "", bearer(k.alpha), 403, "bot_not_allowed"},
		{"unlisted bot by path", "GET", "/v1/bots/6666", "", bearer(k.alpha), 403, "bot_not_allowed"},
		{"conversations of an unlisted bot", "GET", "/v1/conversations?bot_id=6666", "", bearer(k.alpha), 403, "bot_not_allowed"},
		{"public widget, unlisted bot", "POST", "/v3/chat", `{"bot_id":"7002"}`, widget, 403, "bot_not_allowed"},
	}
	for _, tc := range refused {
		status, _, body := f.do(t, tc.method, tc.path, tc.body, tc.hdr)
		if status != tc.status || !strings.Contains(string(body), tc.code) {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, body, tc.status, tc.code)
		}
	}
	// A chunked body past the limit is refused too, not streamed unchecked.
	req, _ := http.NewRequest("POST", f.srv.URL+"/v3/chat", io.MultiReader(strings.NewReader(`{"bot_id":"7001","x":"`),
		strings.NewReader(strings.Repeat("a", 70<<10)), strings.NewReader(`"}`)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+k.alpha)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := f.srv.Client().Do(req); err != nil || resp.StatusCode != 413 {
		t.Errorf("chunked body over the limit: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// Two Content-Type lines: a reader taking the second would parse a form.
	req, _ = http.NewRequest("POST", f.srv.URL+"/v3/chat", strings.NewReader(`{"bot_id":"7001"}`))
	req.Header.Set("Authorization", "Bearer "+k.alpha)
	req.Header["Content-Type"] = []string{"application/json", "application/x-www-form-urlencoded"}
	if resp, err := f.srv.Client().Do(req); err != nil || resp.StatusCode != 415 {
		t.Errorf("two Content-Types: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if n := up.count(); n != 0 {
		t.Fatalf("%d refused calls reached Coze", n)
	}

	// The listed bot works, and a streamed chat still streams.
	resp := post(t, f, "/v3/chat", `{"bot_id":"7001","stream":true,"additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`, alpha)
	defer resp.Body.Close()
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("listed bot: %d %v", resp.StatusCode, resp.Header)
	}
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event:conversation.chat.created\n" {
		t.Fatalf("first event %q %v", line, err)
	}
	if status, _, body := f.do(t, "POST", "/v3/chat", `{"bot_id":"7002"}`, alpha); status != 200 {
		t.Fatalf("second listed bot: %d %s", status, body)
	}
	// A follow-up that names no bot passes; the path allowlist still applies.
	if status, _, body := f.do(t, "GET", "/v1/users/me", "", bearer(k.alpha)); status != 200 {
		t.Fatalf("unchecked path: %d %s", status, body)
	}
}

func post(t *testing.T, f *fixture, path, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", f.srv.URL+path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// TestGatewayAuditLine: every gateway call, refused or forwarded, leaves
// one audit line with method, path, status, bytes, duration, client,
// policy, app and session — and never the client key or the token.
func TestGatewayAuditLine(t *testing.T) {
	var logs syncBuffer
	audit := slog.New(slog.NewTextHandler(&logs, nil))
	var f *fixture
	f, _ = gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) { f.emu.ServeHTTP(w, r) }, Options{Audit: audit})
	acc, k := testAccess(t)
	if err := f.server.Reload(f.withAccess(acc)); err != nil {
		t.Fatal(err)
	}
	f.do(t, "GET", "/v1/users/me", "", with(bearer(k.alpha), "X-User-ID", "u1"))
	f.do(t, "POST", "/v3/chat", `{"bot_id":"6666"}`, with(bearer(k.alpha), "Content-Type", "application/json"))
	f.do(t, "GET", "/v1/bots%00", "", nil)
	out := logs.String()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "msg=gateway") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 3 {
		t.Fatalf("%d gateway audit lines, want 3:\n%s", len(lines), out)
	}
	for i, want := range [][]string{
		{"method=GET", "path=/v1/users/me", "status=200", "client=alpha", "policy=backend", "app=good", "session=alpha#", ":u1", "source=mint", "error=", "complete=true"},
		{"method=POST", "path=/v3/chat", "status=403", "client=alpha", "error=bot_not_allowed"},
		{"path=/v1/bots%00", "status=400", "error=bad_path"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %s: %s", i, w, lines[i])
			}
		}
		if !strings.Contains(lines[i], "bytes=") || !strings.Contains(lines[i], "duration=") {
			t.Errorf("line %d lacks bytes or duration: %s", i, lines[i])
		}
	}
	if strings.Contains(out, k.alpha) || strings.Contains(out, "czs_") {
		t.Fatal("a client key or a token reached the audit log")
	}
}
