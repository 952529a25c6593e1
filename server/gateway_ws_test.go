package server

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestGatewayPassesWebSocketsThrough upgrades a connection through the
// gateway to the emulator's realtime chat: the caller's credential is
// replaced by the session's Coze token and events flow both ways (a
// 70 000-byte message out, the chat's events back).
func TestGatewayPassesWebSocketsThrough(t *testing.T) {
	var f *fixture
	f, _ = gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) { f.emu.ServeHTTP(w, r) }, Options{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))
	_, err = io.WriteString(conn, "GET /v1/chat?bot_id=7001 HTTP/1.1\r\nHost: gw\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Key: "+key+"\r\nAuthorization: Bearer sdk-placeholder\r\nX-User-ID: alice\r\n\r\n")
	if err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if got := resp.Header.Get("Sec-WebSocket-Accept"); got != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Fatalf("Sec-WebSocket-Accept %q", got)
	}
	if got := f.emu.LastAPIAuth(); !strings.HasPrefix(got, "czs_") {
		t.Fatalf("Coze saw credential %q: want the injected token", got)
	}
	if f.emu.MintsFor(goodClient, "alice") != 1 {
		t.Fatal("the WebSocket token was not minted for the caller's session")
	}
	if op, payload := readServerFrame(t, br); op != 0x1 || !strings.Contains(string(payload), `"event_type":"chat.created"`) {
		t.Fatalf("first frame: opcode %d %q, want chat.created", op, payload)
	}
	for _, msg := range []string{"hello", strings.Repeat("x", 70000)} {
		ev, _ := json.Marshal(map[string]any{"id": "1", "event_type": "conversation.message.create",
			"data": map[string]string{"role": "user", "content_type": "text", "content": msg}})
		writeClientFrame(t, conn, 0x1, ev)
		var text strings.Builder
		for done := false; !done; {
			op, payload := readServerFrame(t, br)
			var got struct {
				EventType string `json:"event_type"`
				Data      struct {
					Content string `json:"content"`
				} `json:"data"`
			}
			if op != 0x1 || json.Unmarshal(payload, &got) != nil {
				t.Fatalf("frame: opcode %d, %d bytes, want a JSON event", op, len(payload))
			}
			switch got.EventType {
			case "conversation.message.delta":
				text.WriteString(got.Data.Content)
			case "conversation.chat.completed":
				done = true
			case "error":
				t.Fatalf("error event: %s", payload)
			}
		}
		if text.String() != "You said: "+msg {
			t.Fatalf("chat answer of %d bytes, want the %d-byte message echoed", text.Len(), len(msg))
		}
	}
	writeClientFrame(t, conn, 0x8, []byte{0x03, 0xE8}) // close, 1000
	if op, payload := readServerFrame(t, br); op != 0x8 || len(payload) < 2 || payload[0] != 0x03 || payload[1] != 0xE8 {
		t.Fatalf("close answer: opcode %d payload %v", op, payload)
	}
}

// writeClientFrame sends one final, masked frame.
func writeClientFrame(t *testing.T, w io.Writer, op byte, payload []byte) {
	t.Helper()
	hdr := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xFFFF:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127, 0, 0, 0, 0, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	mask := []byte{0x12, 0x34, 0x56, 0x78}
	masked := make([]byte, len(payload))
	for i, b := range payload {
		masked[i] = b ^ mask[i%4]
	}
	if _, err := w.Write(append(append(hdr, mask...), masked...)); err != nil {
		t.Fatal(err)
	}
}

// readServerFrame reads one unmasked frame.
func readServerFrame(t *testing.T, r *bufio.Reader) (byte, []byte) {
	t.Helper()
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		t.Fatal(err)
	}
	if h[1]&0x80 != 0 {
		t.Fatal("a server frame must not be masked")
	}
	n := uint64(h[1] & 0x7F)
	var ext []byte
	switch n {
	case 126:
		ext = make([]byte, 2)
	case 127:
		ext = make([]byte, 8)
	}
	if ext != nil {
		if _, err := io.ReadFull(r, ext); err != nil {
			t.Fatal(err)
		}
		n = 0
		for _, b := range ext {
			n = n<<8 | uint64(b)
		}
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		t.Fatal(err)
	}
	return h[0] & 0x0F, payload
}
