package server

import (
	"bufio"
	"encoding/base64"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/meter/prom"
)

// TestAccessLogAndStreamsWithWebSocket: with the access log and metrics
// on, a WebSocket still upgrades through the gateway (the access log's
// writer lets the proxy hijack the connection), counts as an open stream
// while it lasts, and leaves one access line with status 101; a token
// request leaves its line without its session or key.
func TestAccessLogAndStreamsWithWebSocket(t *testing.T) {
	var f *fixture
	access := &syncBuffer{}
	m := prom.New()
	f, _ = gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) { f.emu.ServeHTTP(w, r) },
		Options{AccessLog: slog.New(slog.NewTextHandler(access, nil)), Meter: m, Metrics: m.Handler()})
	mf := &meteredFixture{fixture: f, m: m}
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	_, err = io.WriteString(conn, "GET /v1/chat?bot_id=7001 HTTP/1.1\r\nHost: gw\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nX-User-ID: alice\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if op, payload := readServerFrame(t, br); op != 0x1 || !strings.Contains(string(payload), `"event_type":"chat.created"`) {
		t.Fatalf("first frame: opcode %d %q, want chat.created", op, payload)
	}
	if v := value(t, mf.scrape(t), "cozeauth_gateway_open_streams", nil); v != 1 {
		t.Fatalf("open streams during the WebSocket: %v", v)
	}
	writeClientFrame(t, conn, 0x8, []byte{0x03, 0xE8})
	conn.Close()
	eventually(t, "the WebSocket's access line", func() bool { return strings.Contains(access.String(), "path=/v1/chat status=101") })
	if strings.Contains(access.String(), "bot_id") {
		t.Fatalf("the access log holds the query: %s", access.String())
	}
	if status, _, _ := f.do(t, "POST", "/token", "", map[string]string{"X-User-ID": "sk-live-secret-session"}); status != 200 {
		t.Fatalf("token: %d", status)
	}
	eventually(t, "the token request's access line", func() bool { return strings.Contains(access.String(), "path=/token status=200") })
	if strings.Contains(access.String(), "sk-live-secret-session") {
		t.Fatalf("the access log names the session: %s", access.String())
	}
	eventually(t, "no open stream once the WebSocket closed", func() bool {
		return value(t, mf.scrape(t), "cozeauth_gateway_open_streams", nil) == 0
	})
}

// eventually waits for cond, which bookkeeping after an answer (deferred
// metrics, the access line) makes true; a bound of 10 s only guards
// against a hang, it measures nothing.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		runtime.Gosched()
	}
}
