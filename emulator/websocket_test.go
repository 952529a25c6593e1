package emulator_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
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

	"github.com/coder/websocket"

	"github.com/cozeauth/cozeauth/emulator"
)

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

// wsDial sends a raw handshake on a new connection and reads the answer.
func (f *fixture) wsDial(out string) *http.Response {
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
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("handshake answer: %v", err)
	}
	return res
}

// wsAuth is the header map of a handshake authenticated with tok.
func wsAuth(tok string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + tok}
}

// wsConn is a client connection to the chat WebSocket.
type wsConn struct {
	t   *testing.T
	c   *websocket.Conn
	res *http.Response
}

// wsOpen dials target (path and query) with hdr; the handshake must succeed.
func (f *fixture) wsOpen(target string, hdr map[string]string) *wsConn {
	f.t.Helper()
	h := http.Header{}
	for k, v := range hdr {
		h.Set(k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(f.hs.URL, "http")+target, &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		f.t.Fatalf("dial %s: %v", target, err)
	}
	c.SetReadLimit(-1)
	f.t.Cleanup(func() { c.CloseNow() })
	return &wsConn{t: f.t, c: c, res: res}
}

// wsEvent is a server event as the SDKs read it.
type wsEvent struct {
	ID        string         `json:"id"`
	EventType string         `json:"event_type"`
	Data      map[string]any `json:"data"`
	Detail    struct {
		Logid string `json:"logid"`
	} `json:"detail"`
}

// read reads one event.
func (w *wsConn) read() (wsEvent, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, b, err := w.c.Read(ctx)
	if err != nil {
		return wsEvent{}, err
	}
	if typ != websocket.MessageText {
		w.t.Fatalf("a binary message from the server")
	}
	var ev wsEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		w.t.Fatalf("event %q: %v", b, err)
	}
	if ev.ID == "" || ev.Detail.Logid == "" {
		w.t.Errorf("event without id or detail.logid: %s", b)
	}
	return ev, nil
}

// want reads one event, which must be of type typ.
func (w *wsConn) want(typ string) wsEvent {
	w.t.Helper()
	ev, err := w.read()
	if err != nil {
		w.t.Fatalf("reading %s: %v", typ, err)
	}
	if ev.EventType != typ {
		w.t.Fatalf("event %s (%v), want %s", ev.EventType, ev.Data, typ)
	}
	return ev
}

// send writes a client event.
func (w *wsConn) send(id, typ string, data any) {
	w.t.Helper()
	b, _ := json.Marshal(map[string]any{"id": id, "event_type": typ, "data": data})
	w.raw(websocket.MessageText, b)
}

func (w *wsConn) raw(typ websocket.MessageType, b []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, typ, b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// chat sends a user message and reads the chat's events, answering the
// text of its deltas and the completed chat.
func (w *wsConn) chat(content string) (string, wsEvent) {
	w.t.Helper()
	w.send("c1", "conversation.message.create", map[string]string{"role": "user", "content_type": "text", "content": content})
	created := w.want("conversation.chat.created")
	w.want("conversation.chat.in_progress")
	var text strings.Builder
	for {
		ev, err := w.read()
		if err != nil {
			w.t.Fatal(err)
		}
		if ev.EventType == "conversation.message.completed" {
			if ev.Data["content"] != text.String() {
				w.t.Errorf("message.completed content %q, deltas %q", ev.Data["content"], text.String())
			}
			break
		}
		if ev.EventType != "conversation.message.delta" {
			w.t.Fatalf("event %s among the deltas", ev.EventType)
		}
		if ev.Data["chat_id"] != created.Data["id"] {
			w.t.Errorf("delta of chat %v, want %v", ev.Data["chat_id"], created.Data["id"])
		}
		text.WriteString(ev.Data["content"].(string))
	}
	done := w.want("conversation.chat.completed")
	if done.Data["id"] != created.Data["id"] || done.Data["status"] != "completed" {
		w.t.Errorf("chat.completed %v after created %v", done.Data, created.Data)
	}
	return text.String(), done
}

func TestWSChat(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	tok := f.accessToken()
	w := f.wsOpen("/v1/chat?bot_id=7001", wsAuth(tok))
	logid := w.res.Header.Get("X-Tt-Logid")
	if !logidRE.MatchString(logid) {
		t.Errorf("X-Tt-Logid %q", logid)
	}
	if d, err := http.ParseTime(w.res.Header.Get("Date")); err != nil || !d.Equal(t0) {
		t.Errorf("Date %q, want the emulator clock", w.res.Header.Get("Date"))
	}
	if ev := w.want("chat.created"); ev.Detail.Logid != logid {
		t.Errorf("chat.created logid %q, header %q", ev.Detail.Logid, logid)
	}
	text, done := w.chat("hello, 世界")
	if text != "You said: hello, 世界" {
		t.Errorf("reply %q", text)
	}
	if done.Data["bot_id"] != "7001" || !idRE.MatchString(done.Data["conversation_id"].(string)) {
		t.Errorf("chat %v", done.Data)
	}
	if text, _ := w.chat("again"); text != "You said: again" {
		t.Errorf("second reply %q", text)
	}
	if n, auth := f.srv.APICalls(), f.srv.LastAPIAuth(); n != 1 || auth != tok {
		t.Errorf("APICalls %d, LastAPIAuth %q after one handshake", n, auth)
	}
	_ = w.c.Close(websocket.StatusNormalClosure, "")
}

// TestWSEvents checks the other client events are acknowledged and bad
// ones answered with error events, the connection staying usable.
func TestWSEvents(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	w := f.wsOpen("/v1/chat?bot_id=7001", wsAuth(f.accessToken()))
	w.want("chat.created")

	w.send("u1", "chat.update", map[string]any{"chat_config": map[string]any{"user_id": "u-42", "conversation_id": "7300000000000000042"}})
	up := w.want("chat.updated")
	if cc, _ := up.Data["chat_config"].(map[string]any); cc["conversation_id"] != "7300000000000000042" || cc["user_id"] != "u-42" {
		t.Errorf("chat.updated %v", up.Data)
	}
	if _, done := w.chat("in that conversation"); done.Data["conversation_id"] != "7300000000000000042" {
		t.Errorf("chat in conversation %v", done.Data["conversation_id"])
	}
	for _, c := range [][2]string{
		{"conversation.clear", "conversation.cleared"},
		{"conversation.chat.cancel", "conversation.chat.canceled"},
		{"input_audio_buffer.complete", "input_audio_buffer.completed"},
		{"input_audio_buffer.clear", "input_audio_buffer.cleared"},
	} {
		w.send("x", c[0], nil)
		w.want(c[1])
	}
	if _, done := w.chat("after clear"); done.Data["conversation_id"] == "7300000000000000042" {
		t.Error("conversation.clear kept the conversation")
	}

	for _, bad := range []struct {
		typ  websocket.MessageType
		body string
	}{
		{websocket.MessageText, `{"id":"e1","event_type":"no.such.event"}`},
		{websocket.MessageText, `not json`},
		{websocket.MessageText, `{"id":"e2"}`},
		{websocket.MessageText, `{"id":"e3","event_type":"conversation.message.create","data":"x"}`},
		{websocket.MessageText, `{"id":"e4","event_type":"conversation.message.create","data":{"role":"system"}}`},
		{websocket.MessageText, `{"id":"e5","event_type":"chat.update","data":[1]}`},
		{websocket.MessageText, `{"id":"e6","event_type":"conversation.chat.submit_tool_outputs","data":{}}`},
		{websocket.MessageBinary, "\x00\x01"},
	} {
		w.raw(bad.typ, []byte(bad.body))
		ev := w.want("error")
		if ev.Data["code"] != float64(4000) || ev.Data["msg"] == "" {
			t.Errorf("%q: error event %v", bad.body, ev.Data)
		}
	}
	if text, _ := w.chat("still there"); text != "You said: still there" {
		t.Errorf("reply after errors %q", text)
	}
	// An assistant message is context only: nothing is answered.
	w.send("a1", "conversation.message.create", map[string]string{"role": "assistant", "content_type": "text", "content": "noted"})
	w.send("x", "conversation.clear", nil)
	w.want("conversation.cleared")
}

func TestWSAuth(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	tok := f.accessToken()
	f.srv.AddPAT("pat_ws", "user-ws")
	query := func(v string) string { return "/v1/chat?bot_id=7001&authorization=" + url.QueryEscape(v) }

	for _, c := range []struct {
		name, target string
		hdr          map[string]string
	}{
		{"none", "/v1/chat?bot_id=7001", nil},
		{"bad header", "/v1/chat?bot_id=7001", wsAuth("czs_nope")},
		{"not bearer", "/v1/chat?bot_id=7001", map[string]string{"Authorization": "Basic " + tok}},
		{"bad query", query("Bearer czs_nope"), nil},
		{"query without scheme", "/v1/chat?bot_id=7001&authorization=" + tok, nil},
		{"bad header beats good query", query("Bearer " + tok), wsAuth("czs_nope")},
		{"other header beats good query", query("Bearer " + tok), map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}},
	} {
		res := f.wsDial(f.wsRequest(c.target, c.hdr))
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
		"/v1/chat?bot_id=7001&authorization=Bearer%20" + tok,
		"/v1/chat?bot_id=7001&authorization=Bearer+" + tok,
		query("Bearer pat_ws"),
	} {
		w := f.wsOpen(target, nil)
		w.want("chat.created")
		if text, _ := w.chat(fmt.Sprint("via query ", i)); text != fmt.Sprint("You said: via query ", i) {
			t.Errorf("reply %q", text)
		}
		if n := f.srv.APICalls(); n != i+1 {
			t.Errorf("APICalls = %d after %d good handshakes", n, i+1)
		}
	}
	if a := f.srv.LastAPIAuth(); a != "pat_ws" {
		t.Errorf("LastAPIAuth = %q, want the query's credential", a)
	}
}

// TestWSScope checks a channel token's bot_id_list and permissions apply
// to the chat WebSocket before the upgrade.
func TestWSScope(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	f.srv.SetAppOptions(app1, emulator.AppOptions{Channel: true})
	tok := wantOK(t, f, f.mint(nil, `{"grant_type":"`+jwtGrant+`","scope":{"account_permission":{"permission_list":["Connector.botChat"]},`+
		`"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}}`), 900)
	res := f.wsDial(f.wsRequest("/v1/chat?bot_id=7002", wsAuth(tok)))
	var body map[string]any
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != http.StatusForbidden || body["code"] != float64(4101) {
		t.Errorf("another bot: %s %v %v", res.Status, body, err)
	}
	w := f.wsOpen("/v1/chat?bot_id=7001", wsAuth(tok))
	w.want("chat.created")

	noChat := wantOK(t, f, f.mint(nil, `{"grant_type":"`+jwtGrant+`","scope":{"account_permission":{"permission_list":["User.read"]}}}`), 900)
	res = f.wsDial(f.wsRequest("/v1/chat?bot_id=7001", wsAuth(noChat)))
	if res.StatusCode != http.StatusForbidden {
		t.Errorf("a token without Connector.botChat: %s", res.Status)
	}
}

// TestWSUpgradeRequired checks requests that are not valid WebSocket
// handshakes get Coze-shaped HTTP errors.
func TestWSUpgradeRequired(t *testing.T) {
	f := newFixture(t, nil)
	auth := "Bearer " + f.accessToken()

	r := f.do(context.Background(), http.MethodGet, "/v1/chat?bot_id=7001", "", auth, "")
	wantAPIError(t, r, http.StatusUpgradeRequired, 4000)
	if u := r.header.Get("Upgrade"); u != "websocket" {
		t.Errorf("426 Upgrade header %q", u)
	}
	r = f.do(context.Background(), http.MethodPost, "/v1/chat?bot_id=7001", "", auth, "")
	wantAPIError(t, r, http.StatusMethodNotAllowed, 4000)
	r = f.do(context.Background(), http.MethodGet, "/v1/chat", "", auth, "")
	wantAPIError(t, r, http.StatusBadRequest, 4000)

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
		res := f.wsDial(f.wsRequest("/v1/chat?bot_id=7001", c.hdr))
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

// TestWSMessageLimit checks a message one byte over MaxWSMessageBytes
// closes the connection with status 1009, while one at the limit is read.
func TestWSMessageLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 16 MB")
	}
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	w := f.wsOpen("/v1/chat?bot_id=7001", wsAuth(f.accessToken()))
	w.want("chat.created")
	w.raw(websocket.MessageText, make([]byte, emulator.MaxWSMessageBytes)) // at the limit: answered
	w.want("error")
	_ = w.c.Write(context.Background(), websocket.MessageText, make([]byte, emulator.MaxWSMessageBytes+1))
	_, err := w.read()
	if got := websocket.CloseStatus(err); got != websocket.StatusMessageTooBig {
		t.Fatalf("after an oversized message: %v (close status %d), want 1009", err, got)
	}
}

// TestWSCutFault checks a CutAfter fault closes the socket mid-chat
// without a close frame.
func TestWSCutFault(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	tok := f.accessToken()
	f.srv.Inject(emulator.Fault{Path: "/v1/chat", CutAfter: 3})
	w := f.wsOpen("/v1/chat?bot_id=7001", wsAuth(tok))
	w.want("chat.created")
	w.send("c1", "conversation.message.create", map[string]string{"role": "user", "content_type": "text", "content": "cut me"})
	w.want("conversation.chat.created")
	w.want("conversation.chat.in_progress")
	_, err := w.read()
	if err == nil || websocket.CloseStatus(err) != -1 {
		t.Fatalf("after the cut: %v, want the connection gone without a close frame", err)
	}
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		t.Fatalf("a close frame (%v), want an abrupt end", ce)
	}
	// The fault is spent: the next connection chats in full.
	w = f.wsOpen("/v1/chat?bot_id=7001", wsAuth(tok))
	w.want("chat.created")
	if text, _ := w.chat("whole"); text != "You said: whole" {
		t.Errorf("reply %q", text)
	}
}
