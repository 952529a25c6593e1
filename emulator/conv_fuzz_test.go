package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// convRoutes are the endpoints FuzzConversationRequests drives.
var convRoutes = []string{
	"/v3/chat",
	"/v3/chat/retrieve",
	"/v3/chat/message/list",
	"/v3/chat/cancel",
	"/v3/chat/submit_tool_outputs",
	"/v1/conversation/create",
	"/v1/conversation/retrieve",
	"/v1/conversations",
	"/v1/conversations/{CONV}/clear",
	"/v1/conversation/message/create",
	"/v1/conversation/message/list",
	"/v1/conversation/message/retrieve",
	"/v1/conversation/message/modify",
	"/v1/conversation/message/delete",
}

// convWorld is an emulator with small store bounds, one conversation of
// the fuzzing identity holding a message and a chat awaiting a tool, and
// the values the placeholders {CONV}, {MSG}, {CHAT} and {CALL} stand for.
type convWorld struct {
	srv  *emulator.Server
	now  time.Time
	vals map[string]string
}

func newConvWorld(t testing.TB) *convWorld {
	w := &convWorld{now: time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)}
	w.srv = emulator.New(emulator.Options{StreamDelay: -1, Now: func() time.Time { return w.now }})
	emulator.SetConversationLimits(w.srv, 4, 8, 4, 20, 1<<16)
	w.srv.AddPAT("pat_fuzz", "fuzzer")
	w.srv.AddPAT("pat_other", "other")
	_, conv := w.serve(t, http.MethodPost, "/v1/conversation/create", "pat_fuzz", `{"bot_id":"1"}`)
	id := conv["data"].(map[string]any)["id"].(string)
	_, msg := w.serve(t, http.MethodPost, "/v1/conversation/message/create?conversation_id="+id, "pat_fuzz", `{"role":"user","content":"x","content_type":"text"}`)
	_, chat := w.serve(t, http.MethodPost, "/v3/chat?conversation_id="+id, "pat_fuzz", `{"bot_id":"1","additional_messages":[{"role":"user","content":"weather","content_type":"text"}]}`)
	chatID := chat["data"].(map[string]any)["id"].(string)
	w.now = w.now.Add(2 * emulator.ChatStep)
	_, got := w.serve(t, http.MethodGet, "/v3/chat/retrieve?conversation_id="+id+"&chat_id="+chatID, "pat_fuzz", "")
	call := got["data"].(map[string]any)["required_action"].(map[string]any)["submit_tool_outputs"].(map[string]any)["tool_calls"].([]any)[0].(map[string]any)["id"].(string)
	w.vals = map[string]string{"{CONV}": id, "{MSG}": msg["data"].(map[string]any)["id"].(string), "{CHAT}": chatID, "{CALL}": call}
	return w
}

func (w *convWorld) fill(s string) string {
	for k, v := range w.vals {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

// serve runs one request and checks Coze's answer shapes: a JSON envelope
// with an integer code (a message and detail.logid on failure), or an
// event stream on success. It answers the status and the decoded JSON (nil
// for a stream).
func (w *convWorld) serve(t testing.TB, method, target, pat, body string) (int, map[string]any) {
	t.Helper()
	path, query, _ := strings.Cut(target, "?")
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.URL.RawQuery = query
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+pat)
	rec := httptest.NewRecorder()
	w.srv.ServeHTTP(rec, req)
	w.now = w.now.Add(emulator.ChatStep / 2)
	if rec.Header().Get("Content-Type") == "text/event-stream" {
		if rec.Code != http.StatusOK || !bytes.HasSuffix(rec.Body.Bytes(), []byte("event:done\ndata:\"[DONE]\"\n\n")) {
			t.Fatalf("%s %s: stream %d ends %q", method, target, rec.Code, tail(rec.Body.String()))
		}
		return rec.Code, nil
	}
	var m map[string]any
	dec := json.NewDecoder(rec.Body)
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %v", method, target, err)
	}
	code, isNum := m["code"].(json.Number)
	if !isNum {
		t.Fatalf("%s %s: no code in %v", method, target, m)
	}
	detail, _ := m["detail"].(map[string]any)
	if detail["logid"] != rec.Header().Get("X-Tt-Logid") {
		t.Fatalf("%s %s: detail.logid %v", method, target, m)
	}
	switch {
	case code != "0" && (m["msg"] == "" || m["msg"] == nil):
		t.Fatalf("%s %s: failure without msg: %v", method, target, m)
	case code == "0" && rec.Code != http.StatusOK:
		t.Fatalf("%s %s: success with HTTP %d", method, target, rec.Code)
	case code == "0" && m["data"] == nil && m["message"] == nil:
		t.Fatalf("%s %s: success without data: %v", method, target, m)
	case rec.Code != http.StatusOK && rec.Code != http.StatusMethodNotAllowed:
		t.Fatalf("%s %s: HTTP %d", method, target, rec.Code)
	}
	return rec.Code, m
}

func tail(s string) string {
	if len(s) > 200 {
		return s[len(s)-200:]
	}
	return s
}

// FuzzConversationRequests drives the conversation, message and chat
// lifecycle endpoints with arbitrary queries and bodies, twice in a row
// (placeholders such as {CONV} stand for live ids). It must never panic,
// always answer Coze's shapes, keep the store within its bounds, and never
// let another identity see the fuzzing identity's conversation.
func FuzzConversationRequests(f *testing.F) {
	f.Add(uint8(0), false, "?conversation_id={CONV}", `{"bot_id":"1","stream":true,"additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`)
	f.Add(uint8(0), false, "", `{"bot_id":"1","additional_messages":[{"role":"assistant","content":[{"type":"text","text":"x"}],"content_type":"object_string"}],"meta_data":{"a":"b"}}`)
	f.Add(uint8(1), true, "?conversation_id={CONV}&chat_id={CHAT}", "")
	f.Add(uint8(2), false, "?conversation_id={CONV}&chat_id={CHAT}", "null")
	f.Add(uint8(3), false, "", `{"conversation_id":"{CONV}","chat_id":"{CHAT}"}`)
	f.Add(uint8(4), false, "?conversation_id={CONV}&chat_id={CHAT}", `{"stream":true,"tool_outputs":[{"tool_call_id":"{CALL}","output":"sun"}]}`)
	f.Add(uint8(4), false, "?conversation_id={CONV}&chat_id={CHAT}", `{"tool_outputs":[{"tool_call_id":"{CALL}","output":"sun"},{"tool_call_id":"{CALL}"}]}`)
	f.Add(uint8(5), false, "", `{"bot_id":"1","messages":[{"role":"user","content":"x","content_type":"text","meta_data":{"k":"v"}}]}`)
	f.Add(uint8(6), true, "?conversation_id={CONV}", "")
	f.Add(uint8(7), true, "?bot_id=1&page_num=2&page_size=1", "")
	f.Add(uint8(8), false, "", "")
	f.Add(uint8(9), false, "?conversation_id={CONV}", `{"role":"user","content":"y","content_type":"text"}`)
	f.Add(uint8(10), false, "?conversation_id={CONV}", `{"order":"asc","limit":1,"after_id":"{MSG}","chat_id":""}`)
	f.Add(uint8(11), true, "?conversation_id={CONV}&message_id={MSG}", "")
	f.Add(uint8(12), false, "?conversation_id={CONV}&message_id={MSG}", `{"content":[{"type":"image","file_id":"1"}],"content_type":"object_string","meta_data":{}}`)
	f.Add(uint8(13), false, "?conversation_id={CONV}&message_id={MSG}", "")
	f.Add(uint8(10), false, "?conversation_id={CONV}", `{"before_id":"{MSG}","limit":50,"order":"desc"}`)
	f.Add(uint8(0), false, "?conversation_id=%00", `{"bot_id":"\u0000","auto_save_history":false,"stream":true}`)
	f.Fuzz(func(t *testing.T, route uint8, get bool, query, body string) {
		w := newConvWorld(t)
		path := w.fill(convRoutes[int(route)%len(convRoutes)])
		query, body = w.fill(query), w.fill(body)
		if query != "" && !strings.HasPrefix(query, "?") {
			query = "?" + query
		}
		method := http.MethodPost
		if get {
			method = http.MethodGet
		}
		for range 2 {
			w.serve(t, method, path+query, "pat_fuzz", body)
			if convs, msgs, size := emulator.ConversationStats(w.srv); convs > 4 || msgs > 20 || size > 1<<16 {
				t.Fatalf("store past its bounds: %d conversations, %d messages, %d bytes", convs, msgs, size)
			}
			_, m := w.serve(t, http.MethodGet, "/v1/conversation/retrieve?conversation_id="+w.vals["{CONV}"], "pat_other", "")
			if m["code"] != json.Number("4200") {
				t.Fatalf("another identity sees the conversation: %v", m)
			}
		}
	})
}
