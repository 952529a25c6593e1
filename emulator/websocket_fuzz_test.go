package emulator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/cozeauth/cozeauth/emulator"
)

// FuzzRealtimeEvents sends arbitrary messages on one chat WebSocket: each
// is answered (events, an acknowledgement or an error event with code
// 4000), never a panic or a closed connection, and a marker sent after it
// still comes back, so the socket keeps working.
func FuzzRealtimeEvents(f *testing.F) {
	for _, s := range []string{
		`{"id":"1","event_type":"conversation.message.create","data":{"role":"user","content_type":"text","content":"hi"}}`,
		`{"id":"2","event_type":"chat.update","data":{"chat_config":{"conversation_id":"7"}}}`,
		`{"id":"3","event_type":"conversation.clear"}`,
		`{"event_type":"input_audio_buffer.append","data":{"delta":"AAAA"}}`,
		`{"id":"4","event_type":"conversation.message.create","data":null}`,
		`not json`, ``, `[]`, `{"event_type":7}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Add([]byte{0, 1, 2}, true)
	srv := emulator.New(emulator.Options{StreamDelay: -1})
	srv.AddPAT("pat_fuzz", "u")
	hs := httptest.NewServer(srv)
	f.Cleanup(hs.Close)
	ctx := context.Background()
	h := http.Header{"Authorization": {"Bearer pat_fuzz"}}
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(hs.URL, "http")+"/v1/chat?bot_id=7001", &websocket.DialOptions{HTTPHeader: h})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { c.CloseNow() })
	c.SetReadLimit(-1)
	n := 0
	f.Fuzz(func(t *testing.T, msg []byte, binary bool) {
		n++
		typ := websocket.MessageText
		if binary {
			typ = websocket.MessageBinary
		}
		marker := fmt.Sprintf("marker-%d", n)
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		if err := c.Write(wctx, typ, msg); err != nil {
			t.Fatalf("write: %v", err)
		}
		if err := c.Write(wctx, websocket.MessageText, []byte(`{"id":"`+marker+`","event_type":"marker.unknown"}`)); err != nil {
			t.Fatalf("write marker: %v", err)
		}
		for {
			_, b, err := c.Read(wctx)
			if err != nil {
				t.Fatalf("the socket broke after %q: %v", msg, err)
			}
			var ev struct {
				ID        string         `json:"id"`
				EventType string         `json:"event_type"`
				Data      map[string]any `json:"data"`
			}
			if err := json.Unmarshal(b, &ev); err != nil || ev.ID == "" || ev.EventType == "" {
				t.Fatalf("event %q", b)
			}
			if ev.EventType == "error" && ev.Data["code"] != float64(4000) {
				t.Fatalf("error event %q", b)
			}
			if ev.ID == marker {
				return
			}
		}
	})
}
