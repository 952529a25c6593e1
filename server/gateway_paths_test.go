package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawRequest sends text as written on a fresh connection and returns the
// answer's status and body.
func rawRequest(t *testing.T, baseURL, text string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, text); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestGatewayRefusesPathTricks holds the class of paths that reach Coze
// verbatim and may be decoded there (or by a proxy in front of it) into
// another path than the one the allowlist saw: ';' parameters, encoded
// dots, separators and control characters, double encoding.
func TestGatewayRefusesPathTricks(t *testing.T) {
	f, up := gatewayFixture(t, okJSON, Options{})
	for _, p := range []string{
		"/v3/chat/..;/v1/workflow/run", "/v3/chat/..%3b/v1/workflow/run", "/v3/chat;a=b", "/v1/%252e%252e/token",
		"/v1/bots%00", "/v1/bots%09", "/v1/bots%0d%0aX-Injected:%201", "/v1/bots/%37001", "/v1/%25", "/v1/bots/",
		"/v1/bots/7001%20", "/v1/bots/a:b", "/v1/bots/a@b", "/v1/bots/a,b",
	} {
		status, body := rawRequest(t, f.srv.URL, "GET "+p+" HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n")
		if status != 400 || !strings.Contains(body, "bad_path") {
			t.Errorf("%s: %d %s", p, status, body)
		}
	}
	if n := up.count(); n != 0 {
		t.Fatalf("%d refused paths reached Coze", n)
	}
	if status, _, _ := f.do(t, "GET", "/v1/bots/7001", "", nil); status != 200 || up.last().URL.Path != "/v1/bots/7001" {
		t.Fatalf("a clean path: %d", status)
	}
}

// TestGatewayRefusesMethodsAndUpgrades holds TRACE (and other methods a
// proxy should not pass) and Upgrade: h2c, which would turn the caller's
// connection into one cozeauth no longer inspects.
func TestGatewayRefusesMethodsAndUpgrades(t *testing.T) {
	f, up := gatewayFixture(t, okJSON, Options{})
	for _, m := range []string{"TRACE", "PROPFIND", "TRACK"} {
		status, hdr, body := f.do(t, m, "/v1/bots/7001", "", nil)
		if status != 405 || !strings.Contains(string(body), "method_not_allowed") || !strings.Contains(hdr.Get("Allow"), "POST") {
			t.Errorf("%s: %d %v %s", m, status, hdr, body)
		}
	}
	for _, req := range []string{
		"GET /v1/bots/7001 HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n",
		"GET /v1/chat HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nUpgrade: h2c\r\n\r\n",
		"GET /v1/chat HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket, h2c\r\n\r\n",
	} {
		if status, body := rawRequest(t, f.srv.URL, req); status != 400 || !strings.Contains(body, "upgrade_not_allowed") {
			t.Errorf("%q: %d %s", req, status, body)
		}
	}
	if n := up.count(); n != 0 {
		t.Fatalf("%d refused requests reached Coze", n)
	}
}

// TestGatewayForwardsNoCallerAddressHeaders holds the class of headers by
// which a caller speaks for cozeauth's network: forwarded host, scheme and
// addresses, path and method overrides. None reaches Coze, and cozeauth
// adds no X-Forwarded-For of its own.
func TestGatewayForwardsNoCallerAddressHeaders(t *testing.T) {
	f, up := gatewayFixture(t, okJSON, Options{})
	hdr := map[string]string{}
	for _, h := range []string{"X-Forwarded-Host", "X-Forwarded-For", "X-Forwarded-Proto", "Forwarded", "X-Real-IP",
		"X-Client-IP", "True-Client-IP", "X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override", "X-Forwarded-Port"} {
		hdr[h] = "evil.example"
	}
	if status, _, body := f.do(t, "GET", "/v1/bots/7001", "", hdr); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	r := up.last()
	for h := range hdr {
		if v := r.Header.Values(h); len(v) > 0 {
			t.Errorf("%s reached Coze: %q", h, v)
		}
	}
}
