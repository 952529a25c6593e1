package emulator_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cozeauth/cozeauth/emulator"
)

// WebSocket opcodes and close codes (RFC 6455 sections 5.2 and 7.4.1).
const (
	opCont   = 0x0
	opText   = 0x1
	opBinary = 0x2
	opClose  = 0x8
	opPing   = 0x9
	opPong   = 0xA

	closeNormal   = 1000
	closeProtocol = 1002
	closeBadData  = 1007
	closeTooBig   = 1009
)

// wsClient is a minimal, test-only RFC 6455 client. It masks the frames it
// sends, as clients must, and insists the server's frames are unmasked,
// have no reserved bits and use the shortest length encoding.
type wsClient struct {
	t    *testing.T
	conn net.Conn
	br   *bufio.Reader
}

// wsKey returns a fresh Sec-WebSocket-Key: 16 random bytes in base64.
func wsKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// wsRequest is an opening handshake for target (path and query) with the
// standard headers, edited by hdr: a value replaces a header, "" drops it.
func (f *fixture) wsRequest(target string, hdr map[string]string) string {
	h := map[string]string{
		"Upgrade":               "websocket",
		"Connection":            "keep-alive, Upgrade",
		"Sec-WebSocket-Version": "13",
		"Sec-WebSocket-Key":     wsKey(),
	}
	for k, v := range hdr {
		h[k] = v
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\n", target, f.hs.Listener.Addr())
	for k, v := range h {
		if v != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	return b.String()
}

// wsDial sends the raw bytes out (a handshake, perhaps followed by frames)
// on a new connection to f's server and reads the handshake answer. The
// connection is closed when the test ends.
func (f *fixture) wsDial(out string) (*wsClient, *http.Response) {
	t := f.t
	t.Helper()
	conn, err := net.Dial("tcp", f.hs.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, out); err != nil {
		t.Fatal(err)
	}
	c := &wsClient{t: t, conn: conn, br: bufio.NewReader(conn)}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		t.Fatalf("handshake answer: %v", err)
	}
	return c, res
}

// wsOpen performs a handshake that must succeed.
func (f *fixture) wsOpen(target string, hdr map[string]string) *wsClient {
	f.t.Helper()
	c, res := f.wsDial(f.wsRequest(target, hdr))
	if res.StatusCode != http.StatusSwitchingProtocols {
		b, _ := io.ReadAll(res.Body)
		f.t.Fatalf("handshake: %s %s", res.Status, b)
	}
	return c
}

// wsAuth is the header map of a handshake authenticated with tok.
func wsAuth(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// wsFrameBytes encodes a frame, masking the payload when mask is non-nil.
func wsFrameBytes(fin bool, op byte, payload []byte, mask *[4]byte) []byte {
	b := []byte{op, 0}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		b[1] = byte(n)
	case n <= 0xFFFF:
		b[1] = 126
		b = binary.BigEndian.AppendUint16(b, uint16(n))
	default:
		b[1] = 127
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	if mask == nil {
		return append(b, payload...)
	}
	b[1] |= 0x80
	b = append(b, mask[:]...)
	start := len(b)
	b = append(b, payload...)
	if *mask != [4]byte{} { // XOR with zero changes nothing
		for i := range payload {
			b[start+i] ^= mask[i%4]
		}
	}
	return b
}

// newMask returns a random masking key that is never all zero (which would
// leave the payload as it is and hide a server that ignores the mask).
func newMask() *[4]byte {
	var m [4]byte
	_, _ = rand.Read(m[:])
	m[0] |= 0x01
	return &m
}

// masked encodes a client frame.
func masked(fin bool, op byte, payload []byte) []byte {
	return wsFrameBytes(fin, op, payload, newMask())
}

func (c *wsClient) write(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes one masked frame.
func (c *wsClient) send(fin bool, op byte, payload []byte) {
	c.t.Helper()
	c.write(masked(fin, op, payload))
}

// readFrame reads one server frame, checking it is well-formed.
func (c *wsClient) readFrame() (fin bool, op byte, payload []byte, err error) {
	var h [2]byte
	if _, err := io.ReadFull(c.br, h[:]); err != nil {
		return false, 0, nil, err
	}
	fin, op = h[0]&0x80 != 0, h[0]&0x0F
	n := uint64(h[1] & 0x7F)
	switch {
	case h[0]&0x70 != 0:
		return fin, op, nil, errors.New("server frame has reserved bits set")
	case h[1]&0x80 != 0:
		return fin, op, nil, errors.New("server frame is masked")
	}
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return fin, op, nil, err
		}
		if n = uint64(binary.BigEndian.Uint16(ext[:])); n < 126 {
			return fin, op, nil, fmt.Errorf("length %d sent in 16 bits", n)
		}
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(c.br, ext[:]); err != nil {
			return fin, op, nil, err
		}
		if n = binary.BigEndian.Uint64(ext[:]); n <= 0xFFFF || n>>63 != 0 {
			return fin, op, nil, fmt.Errorf("length %d sent in 64 bits", n)
		}
	}
	if op >= opClose && (!fin || n > 125) {
		return fin, op, nil, fmt.Errorf("invalid control frame: fin %v, %d bytes", fin, n)
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(c.br, payload); err != nil {
		return fin, op, nil, err
	}
	return fin, op, payload, nil
}

// read reads one server frame, which must be final.
func (c *wsClient) read() (byte, []byte) {
	c.t.Helper()
	fin, op, p, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("read frame: %v", err)
	}
	if !fin {
		c.t.Fatalf("server fragmented a frame (op %#x)", op)
	}
	return op, p
}

// want reads one frame and checks its opcode and payload.
func (c *wsClient) want(op byte, payload []byte) {
	c.t.Helper()
	gotOp, got := c.read()
	if gotOp != op || !bytes.Equal(got, payload) {
		c.t.Fatalf("got frame op %#x %q (%d bytes), want op %#x %q (%d bytes)",
			gotOp, clip(got), len(got), op, clip(payload), len(payload))
	}
}

// wantClose reads a close frame with status code (0 for an empty close)
// and then the end of the connection.
func (c *wsClient) wantClose(code int) {
	c.t.Helper()
	op, p := c.read()
	switch {
	case op != opClose:
		c.t.Fatalf("got op %#x %q, want a close frame with %d", op, clip(p), code)
	case code == 0 && len(p) != 0:
		c.t.Fatalf("close payload %q, want none", p)
	case code != 0 && (len(p) < 2 || int(binary.BigEndian.Uint16(p)) != code || !utf8.Valid(p[2:])):
		c.t.Fatalf("close payload %q, want status %d and a UTF-8 reason", p, code)
	}
	c.wantEOF()
}

// wantEOF checks the server has closed the connection.
func (c *wsClient) wantEOF() {
	c.t.Helper()
	if _, op, p, err := c.readFrame(); err != io.EOF {
		c.t.Fatalf("after close: frame op %#x %q, err %v; want the connection closed", op, clip(p), err)
	}
}

func clip(b []byte) []byte {
	if len(b) > 40 {
		return b[:40]
	}
	return b
}

func closeFrame(code int, reason string) []byte {
	return append(binary.BigEndian.AppendUint16(nil, uint16(code)), reason...)
}

// TestWSHandshake checks the 101 answer, with the Sec-WebSocket-Accept of
// RFC 6455's own example, and that frames sent right behind the handshake
// (already buffered by the HTTP server) are not lost.
func TestWSHandshake(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.accessToken()
	hdr := wsAuth(tok)
	hdr["Sec-WebSocket-Key"] = "dGhlIHNhbXBsZSBub25jZQ==" // RFC 6455 section 1.3
	c, res := f.wsDial(f.wsRequest("/v1/chat", hdr) + string(masked(true, opText, []byte("early"))))
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("handshake: %s", res.Status)
	}
	if a := res.Header.Get("Sec-WebSocket-Accept"); a != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" {
		t.Errorf("Sec-WebSocket-Accept %q", a)
	}
	if !strings.EqualFold(res.Header.Get("Upgrade"), "websocket") || !strings.EqualFold(res.Header.Get("Connection"), "upgrade") {
		t.Errorf("Upgrade %q, Connection %q", res.Header.Get("Upgrade"), res.Header.Get("Connection"))
	}
	if !logidRE.MatchString(res.Header.Get("X-Tt-Logid")) {
		t.Errorf("X-Tt-Logid %q", res.Header.Get("X-Tt-Logid"))
	}
	if d, err := http.ParseTime(res.Header.Get("Date")); err != nil || !d.Equal(t0) {
		t.Errorf("Date %q, want the emulator clock", res.Header.Get("Date"))
	}
	c.want(opText, []byte("early"))

	// Any other key: the accept value is base64(SHA-1(key + GUID)).
	key := wsKey()
	hdr["Sec-WebSocket-Key"] = key
	_, res = f.wsDial(f.wsRequest("/v1/chat", hdr))
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if a := res.Header.Get("Sec-WebSocket-Accept"); a != base64.StdEncoding.EncodeToString(sum[:]) {
		t.Errorf("Sec-WebSocket-Accept %q for key %q", a, key)
	}
	if n, auth := f.srv.APICalls(), f.srv.LastAPIAuth(); n != 2 || auth != tok {
		t.Errorf("APICalls %d, LastAPIAuth %q after two handshakes", n, auth)
	}
}

// TestWSEcho checks text and binary messages come back unchanged, across
// the 7-bit, 16-bit and 64-bit length encodings in both directions.
func TestWSEcho(t *testing.T) {
	f := newFixture(t, nil)
	c := f.wsOpen("/v1/chat", wsAuth(f.accessToken()))
	c.send(true, opText, []byte("hello, 世界"))
	c.want(opText, []byte("hello, 世界"))
	c.send(true, opText, nil)
	c.want(opText, []byte{})
	for _, n := range []int{0, 1, 125, 126, 127, 0xFFFF, 0x10000, 200_000} {
		p := randomBytes(uint64(n), n) // not UTF-8, fine for binary
		c.send(true, opBinary, p)
		c.want(opBinary, p)
	}
	c.send(true, opClose, closeFrame(closeNormal, ""))
	c.wantClose(closeNormal)
}

// TestWSFragmented checks fragments are reassembled into one message, with
// a ping answered in between and UTF-8 checked on the whole message, not
// per fragment.
func TestWSFragmented(t *testing.T) {
	f := newFixture(t, nil)
	c := f.wsOpen("/v1/chat", wsAuth(f.accessToken()))
	e := []byte("é") // two bytes, split across fragments
	c.send(false, opText, append([]byte("Hello, caf"), e[0]))
	c.send(true, opPing, []byte("between"))
	c.send(false, opCont, []byte{e[1]})
	c.send(false, opCont, nil)
	c.send(true, opCont, []byte(" world"))
	c.want(opPong, []byte("between"))
	c.want(opText, []byte("Hello, café world"))

	big := randomBytes(9, 3*0x10000)
	c.send(false, opBinary, big[:0x10000])
	c.send(false, opCont, big[0x10000:0x20000])
	c.send(true, opCont, big[0x20000:])
	c.want(opBinary, big)

	// A new message after a fragmented one starts afresh.
	c.send(true, opText, []byte("next"))
	c.want(opText, []byte("next"))
}

// TestWSPing checks pings are answered with pongs carrying the same
// payload, and unsolicited pongs are ignored.
func TestWSPing(t *testing.T) {
	f := newFixture(t, nil)
	c := f.wsOpen("/v1/chat", wsAuth(f.accessToken()))
	for _, p := range [][]byte{nil, []byte("ping-1"), randomBytes(5, 125)} {
		c.send(true, opPing, p)
		c.want(opPong, p)
	}
	c.send(true, opPong, []byte("unsolicited"))
	c.send(true, opText, []byte("after"))
	c.want(opText, []byte("after"))
}

// TestWSClose checks the close handshake: the server echoes the peer's
// status code, refuses codes a peer may not send, then hangs up.
func TestWSClose(t *testing.T) {
	for _, c := range []struct {
		name    string
		payload []byte
		want    int  // status of the server's close frame, 0 for none
		echo    bool // the answer is exactly the peer's status code
	}{
		{"normal with reason", closeFrame(1000, "bye"), 1000, true},
		{"going away", closeFrame(1001, ""), 1001, true},
		{"1014", closeFrame(1014, ""), 1014, true},
		{"application 3000", closeFrame(3000, "app"), 3000, true},
		{"private 4999", closeFrame(4999, "é"), 4999, true},
		{"empty", nil, 0, true},
		{"one byte", []byte{0x03}, closeProtocol, false},
		{"999", closeFrame(999, ""), closeProtocol, false},
		{"1004 reserved", closeFrame(1004, ""), closeProtocol, false},
		{"1005 no status", closeFrame(1005, ""), closeProtocol, false},
		{"1006 abnormal", closeFrame(1006, ""), closeProtocol, false},
		{"1015 TLS", closeFrame(1015, ""), closeProtocol, false},
		{"2000", closeFrame(2000, ""), closeProtocol, false},
		{"5000", closeFrame(5000, ""), closeProtocol, false},
		{"reason not UTF-8", closeFrame(1000, "\xff"), closeBadData, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ws := f.wsOpen("/v1/chat", wsAuth(f.accessToken()))
			ws.send(true, opText, []byte("before"))
			ws.send(true, opClose, c.payload)
			ws.want(opText, []byte("before"))
			if !c.echo {
				ws.wantClose(c.want)
				return
			}
			var want []byte
			if c.want != 0 {
				want = closeFrame(c.want, "")
			}
			ws.want(opClose, want)
			ws.wantEOF()
		})
	}
}

// TestWSProtocolErrors checks each violation closes the connection with
// the right status: 1002 for protocol errors, 1007 for text that is not
// UTF-8, 1009 for a message over MaxWSMessageBytes.
func TestWSProtocolErrors(t *testing.T) {
	withRSV := masked(true, opText, []byte("x"))
	withRSV[0] |= 0x40
	tooBig := func(op byte, fin bool, n uint64) []byte {
		b := []byte{op, 0x80 | 127}
		if fin {
			b[0] |= 0x80
		}
		b = binary.BigEndian.AppendUint64(b, n)
		return append(b, newMask()[:]...) // the payload never needs to be sent
	}
	cat := func(frames ...[]byte) []byte { return bytes.Join(frames, nil) }
	for _, c := range []struct {
		name   string
		frames []byte
		want   int
		pong   bool // a pong comes before the close
	}{
		{"unmasked", wsFrameBytes(true, opText, []byte("hi"), nil), closeProtocol, false},
		{"unmasked after a good frame", cat(masked(true, opPing, nil), wsFrameBytes(true, opBinary, []byte{1}, nil)), closeProtocol, true},
		{"reserved bit", withRSV, closeProtocol, false},
		{"data opcode 3", masked(true, 0x3, []byte("x")), closeProtocol, false},
		{"control opcode 0xB", masked(true, 0xB, nil), closeProtocol, false},
		{"continuation first", masked(true, opCont, []byte("x")), closeProtocol, false},
		{"text inside a fragmented message", cat(masked(false, opText, []byte("a")), masked(true, opText, []byte("b"))), closeProtocol, false},
		{"fragmented ping", masked(false, opPing, []byte("x")), closeProtocol, false},
		{"ping of 126 bytes", masked(true, opPing, make([]byte, 126)), closeProtocol, false},
		{"close of 126 bytes", masked(true, opClose, closeFrame(1000, strings.Repeat("x", 124))), closeProtocol, false},
		{"text not UTF-8", masked(true, opText, []byte("ok\xff\xfe")), closeBadData, false},
		{"text ends mid-rune", masked(true, opText, []byte("\xe4\xbd")), closeBadData, false},
		{"fragmented text not UTF-8", cat(masked(false, opText, []byte("a\xc3")), masked(true, opCont, []byte("("))), closeBadData, false},
		{"frame too big", tooBig(opBinary, true, emulator.MaxWSMessageBytes+1), closeTooBig, false},
		{"length with top bit", tooBig(opBinary, true, 1<<63), closeTooBig, false},
		{"message too big", cat(masked(false, opText, []byte("0123456789")), tooBig(opCont, true, emulator.MaxWSMessageBytes-10+1)), closeTooBig, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newFixture(t, nil)
			ws := f.wsOpen("/v1/chat", wsAuth(f.accessToken()))
			ws.write(c.frames)
			if c.pong {
				ws.want(opPong, []byte{})
			}
			ws.wantClose(c.want)
		})
	}
}

// TestWSAuth checks the credential is checked before the upgrade, from the
// Authorization header or, without one, ?authorization=Bearer%20<x>.
func TestWSAuth(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.accessToken()
	f.srv.AddPAT("pat_ws", "user-ws")
	query := func(v string) string { return "/v1/chat?authorization=" + url.QueryEscape(v) }

	for _, c := range []struct {
		name, target string
		hdr          map[string]string
	}{
		{"none", "/v1/chat", nil},
		{"bad header", "/v1/chat", wsAuth("czs_nope")},
		{"not bearer", "/v1/chat", map[string]string{"Authorization": "Basic " + tok}},
		{"bad query", query("Bearer czs_nope"), nil},
		{"query without scheme", "/v1/chat?authorization=" + tok, nil},
		{"bad header beats good query", query("Bearer " + tok), wsAuth("czs_nope")},
		{"other header beats good query", query("Bearer " + tok), map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}},
	} {
		_, res := f.wsDial(f.wsRequest(c.target, c.hdr))
		var body map[string]any
		err := json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != http.StatusUnauthorized || err != nil || body["code"] != float64(4100) ||
			res.Header.Get("Content-Type") != "application/json" || res.Header.Get("Sec-WebSocket-Accept") != "" {
			t.Errorf("%s: %s %v %v", c.name, res.Status, body, err)
		}
	}
	if n := f.srv.APICalls(); n != 0 {
		t.Errorf("APICalls = %d after only rejected handshakes", n)
	}

	for i, target := range []string{
		"/v1/chat?authorization=Bearer%20" + tok,
		"/v1/chat?authorization=Bearer+" + tok,
		query("Bearer pat_ws"),
	} {
		c := f.wsOpen(target, nil)
		msg := []byte(fmt.Sprint("via query ", i))
		c.send(true, opText, msg)
		c.want(opText, msg)
		if n := f.srv.APICalls(); n != i+1 {
			t.Errorf("APICalls = %d after %d good handshakes", n, i+1)
		}
	}
	if a := f.srv.LastAPIAuth(); a != "pat_ws" {
		t.Errorf("LastAPIAuth = %q, want the query's credential", a)
	}
}

// TestWSUpgradeRequired checks requests that are not valid WebSocket
// handshakes get plain HTTP errors.
func TestWSUpgradeRequired(t *testing.T) {
	f := newFixture(t, nil)
	auth := "Bearer " + f.accessToken()

	r := f.do(context.Background(), http.MethodGet, "/v1/chat", "", auth, "")
	wantAPIError(t, r, http.StatusUpgradeRequired, 4000)
	if u := r.header.Get("Upgrade"); u != "websocket" {
		t.Errorf("426 Upgrade header %q", u)
	}
	r = f.do(context.Background(), http.MethodPost, "/v1/chat", "", auth, "")
	wantAPIError(t, r, http.StatusMethodNotAllowed, 4000)

	good := wsAuth(strings.TrimPrefix(auth, "Bearer "))
	edit := func(k, v string) map[string]string {
		h := map[string]string{k: v}
		for k2, v2 := range good {
			h[k2] = v2
		}
		return h
	}
	for _, c := range []struct {
		name   string
		hdr    map[string]string
		status int
	}{
		{"no Upgrade", edit("Upgrade", ""), http.StatusUpgradeRequired},
		{"Upgrade h2c", edit("Upgrade", "h2c"), http.StatusUpgradeRequired},
		{"no Connection: upgrade", edit("Connection", "keep-alive"), http.StatusUpgradeRequired},
		{"version 8", edit("Sec-WebSocket-Version", "8"), http.StatusUpgradeRequired},
		{"no version", edit("Sec-WebSocket-Version", ""), http.StatusUpgradeRequired},
		{"no key", edit("Sec-WebSocket-Key", ""), http.StatusBadRequest},
		{"short key", edit("Sec-WebSocket-Key", base64.StdEncoding.EncodeToString([]byte("too short"))), http.StatusBadRequest},
		{"key not base64", edit("Sec-WebSocket-Key", "!!!!!!!!!!!!!!!!!!!!!!!!"), http.StatusBadRequest},
	} {
		_, res := f.wsDial(f.wsRequest("/v1/chat", c.hdr))
		var body map[string]any
		err := json.NewDecoder(res.Body).Decode(&body)
		if res.StatusCode != c.status || err != nil || body["code"] != float64(4000) {
			t.Errorf("%s: %s %v %v", c.name, res.Status, body, err)
		}
		if c.name == "version 8" && res.Header.Get("Sec-WebSocket-Version") != "13" {
			t.Errorf("version 8: Sec-WebSocket-Version %q, want 13", res.Header.Get("Sec-WebSocket-Version"))
		}
	}
}

// TestWSMessageLimit fills a fragmented message to exactly
// MaxWSMessageBytes, checks control frames are still answered at the limit
// (they are not part of the message), then goes one byte over.
func TestWSMessageLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 16 MB")
	}
	f := newFixture(t, nil)
	ws := f.wsOpen("/v1/chat", wsAuth(f.accessToken()))
	// A zero mask is legal and spares the test masking 16 MB; the server
	// unmasks it all the same.
	ws.write(wsFrameBytes(false, opBinary, make([]byte, emulator.MaxWSMessageBytes-1), &[4]byte{}))
	ws.send(false, opCont, []byte{1}) // exactly at the limit: accepted
	ws.send(true, opPing, []byte("still there?"))
	ws.want(opPong, []byte("still there?"))
	ws.send(true, opCont, []byte{2}) // one byte over
	ws.wantClose(closeTooBig)
}
