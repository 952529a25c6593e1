package emulator_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// chatIDs are a chat's conversation and chat ids as query parameters.
func chatQuery(chat map[string]any) string {
	return "?conversation_id=" + field(chat, "conversation_id") + "&chat_id=" + field(chat, "id")
}

// retrieveChat answers the chat via GET (as documented) and checks POST
// (as the Node SDK sends it) answers the same.
func (f *fixture) retrieveChat(auth string, chat map[string]any) map[string]any {
	f.t.Helper()
	get := ok(f.t, f.call(http.MethodGet, "/v3/chat/retrieve"+chatQuery(chat), auth, ""))
	post := ok(f.t, f.call(http.MethodPost, "/v3/chat/retrieve"+chatQuery(chat), auth, ""))
	if string(mustJSON(get.data())) != string(mustJSON(post.data())) {
		f.t.Errorf("GET retrieve %s, POST %s", get.raw, post.raw)
	}
	return get.data()
}

// chatMessages answers /v3/chat/message/list.
func (f *fixture) chatMessages(auth string, chat map[string]any) []map[string]any {
	f.t.Helper()
	return ok(f.t, f.call(http.MethodGet, "/v3/chat/message/list"+chatQuery(chat), auth, "")).list()
}

func usageOf(chat map[string]any) [3]json.Number {
	u, _ := chat["usage"].(map[string]any)
	return [3]json.Number{u["input_count"].(json.Number), u["output_count"].(json.Number), u["token_count"].(json.Number)}
}

// TestChatLifecycle checks a non-streamed chat moves created → in_progress
// → completed on the emulator's clock, one ChatStep each, and then holds
// its answer, usage and completed_at; the conversation holds the question
// and the answer.
func TestChatLifecycle(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	conv := f.newConversation(auth)
	chat := ok(t, f.call(http.MethodPost, "/v3/chat?conversation_id="+conv, auth, chatBody(false, "", "user:how are you"))).data()
	if chat["status"] != "created" || chat["conversation_id"] != conv {
		t.Fatalf("created %v", chat)
	}
	if got := f.retrieveChat(auth, chat); got["status"] != "created" || len(f.chatMessages(auth, chat)) != 0 {
		t.Errorf("at once: %v", got)
	}
	f.clk.Add(emulator.ChatStep - 1)
	if got := f.retrieveChat(auth, chat); got["status"] != "created" {
		t.Errorf("just before a step: %v", got["status"])
	}
	f.clk.Add(1)
	if got := f.retrieveChat(auth, chat); got["status"] != "in_progress" || got["completed_at"] != nil {
		t.Errorf("after one step: %v", got)
	}
	f.clk.Add(emulator.ChatStep)
	got := f.retrieveChat(auth, chat)
	if got["status"] != "completed" || got["completed_at"] != json.Number("1767254400") || usageOf(got) != [3]json.Number{"3", "5", "8"} {
		t.Errorf("after two steps: %v", got)
	}
	msgs := f.chatMessages(auth, chat)
	if len(msgs) != 1 || msgs[0]["type"] != "answer" || msgs[0]["content"] != "You said: how are you" || msgs[0]["chat_id"] != chat["id"] ||
		msgs[0]["role"] != "assistant" || msgs[0]["bot_id"] != botID {
		t.Errorf("chat messages %v", msgs)
	}
	all := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list?conversation_id="+conv, auth, `{"order":"asc"}`)).list()
	if len(all) != 2 || all[0]["content"] != "how are you" || all[0]["chat_id"] != chat["id"] || all[1]["id"] != msgs[0]["id"] {
		t.Errorf("conversation messages %v", all)
	}
	// POST works for message/list too (lenient, as for retrieve).
	if l := ok(t, f.call(http.MethodPost, "/v3/chat/message/list"+chatQuery(chat), auth, "")).list(); len(l) != 1 {
		t.Errorf("POST message/list %v", l)
	}
	// A poll long after still answers the same, unchanged.
	f.clk.Add(100 * emulator.ChatStep)
	if again := f.retrieveChat(auth, chat); string(mustJSON(again)) != string(mustJSON(got)) {
		t.Errorf("later %v, want %v", again, got)
	}
}

// TestChatLifecycleSkipped checks a client that polls late sees the final
// state at once, with the messages timed when the steps ended.
func TestChatLifecycleSkipped(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	chat := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:hi"))).data()
	f.clk.Add(emulator.ChatStep * 50)
	got := f.retrieveChat(auth, chat)
	if got["status"] != "completed" {
		t.Fatalf("status %v", got["status"])
	}
	if m := f.chatMessages(auth, chat); len(m) != 1 || m[0]["created_at"] != json.Number("1767254400") {
		t.Errorf("messages %v", m)
	}
}

// TestChatToolCalls checks a chat asking for the weather stops at
// requires_action with a get_weather call and a function_call message,
// refuses wrong tool outputs, and completes after the right ones.
func TestChatToolCalls(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	chat := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:What is the WEATHER in Paris?"))).data()
	f.clk.Add(2 * emulator.ChatStep)
	got := f.retrieveChat(auth, chat)
	ra, _ := got["required_action"].(map[string]any)
	sto, _ := ra["submit_tool_outputs"].(map[string]any)
	calls, _ := sto["tool_calls"].([]any)
	if got["status"] != "requires_action" || ra["type"] != "submit_tool_outputs" || len(calls) != 1 {
		t.Fatalf("after two steps: %v", got)
	}
	call := calls[0].(map[string]any)
	fn, _ := call["function"].(map[string]any)
	var args map[string]string
	if err := json.Unmarshal([]byte(field(fn, "arguments")), &args); err != nil || args["query"] != "What is the WEATHER in Paris?" ||
		fn["name"] != emulator.ToolName || call["type"] != "function" || !idRE.MatchString(field(call, "id")) {
		t.Errorf("tool call %v (%v)", call, err)
	}
	msgs := f.chatMessages(auth, chat)
	if len(msgs) != 1 || msgs[0]["type"] != "function_call" || !strings.Contains(field(msgs[0], "content"), `"name":"get_weather"`) {
		t.Errorf("messages %v", msgs)
	}
	f.clk.Add(10 * emulator.ChatStep)
	if again := f.retrieveChat(auth, chat); again["status"] != "requires_action" {
		t.Errorf("requires_action does not wait: %v", again["status"])
	}

	submit := func(body string) response {
		return f.call(http.MethodPost, "/v3/chat/submit_tool_outputs"+chatQuery(chat), auth, body)
	}
	callID := field(call, "id")
	for body, want := range map[string]string{
		`{}`:                  "tool_outputs",
		`{"tool_outputs":[]}`: "tool_outputs",
		`{"tool_outputs":[{"tool_call_id":"1","output":"x"}]}`:                                                             "not a tool call",
		`{"tool_outputs":[{"tool_call_id":"` + callID + `","output":"x"},{"tool_call_id":"` + callID + `","output":"y"}]}`: "twice",
		`{"tool_outputs":`: "invalid request body",
	} {
		if m := wantAPIError(t, submit(body), http.StatusOK, 4000); !strings.Contains(m, want) {
			t.Errorf("submit %s: msg %q, want %q", body, m, want)
		}
	}
	if again := f.retrieveChat(auth, chat); again["status"] != "requires_action" {
		t.Fatalf("a refused submit changed the chat: %v", again)
	}

	back := ok(t, submit(`{"stream":false,"tool_outputs":[{"tool_call_id":"`+callID+`","output":"sunny, 21 C"}]}`)).data()
	if back["status"] != "in_progress" || back["required_action"] != nil {
		t.Errorf("after submit %v", back)
	}
	if m := wantAPIError(t, submit(`{"tool_outputs":[{"tool_call_id":"`+callID+`","output":"x"}]}`), http.StatusOK, 4000); !strings.Contains(m, "in_progress") {
		t.Errorf("second submit msg %q", m)
	}
	f.clk.Add(emulator.ChatStep)
	done := f.retrieveChat(auth, chat)
	if done["status"] != "completed" || usageOf(done) != [3]json.Number{"9", "6", "15"} {
		t.Errorf("completed %v", done)
	}
	var kinds, contents []string
	for _, m := range f.chatMessages(auth, chat) {
		kinds = append(kinds, field(m, "type"))
		contents = append(contents, field(m, "content"))
	}
	if !slices.Equal(kinds, []string{"function_call", "tool_response", "answer"}) || contents[1] != "sunny, 21 C" ||
		contents[2] != "Tool get_weather answered: sunny, 21 C" {
		t.Errorf("messages %q %q", kinds, contents)
	}
}

// TestChatToolCallsStream checks the streamed form: /v3/chat ends at
// conversation.chat.requires_action, and a streamed submit_tool_outputs
// sends the rest of the turn.
func TestChatToolCallsStream(t *testing.T) {
	f := newFixture(t, noDelay)
	auth := f.sessionToken("alice")
	_, evs := f.streamChat("", auth, chatBody(true, "", "user:weather?"))
	want := []string{"conversation.chat.created", "conversation.chat.in_progress", "conversation.message.completed", "conversation.chat.requires_action", "done"}
	if got := names(evs); !slices.Equal(got, want) {
		t.Fatalf("events %q", got)
	}
	fc, chat := evs[2].decode(t), evs[3].decode(t)
	if fc["type"] != "function_call" || chat["status"] != "requires_action" {
		t.Errorf("function_call %s, chat %s", evs[2].data, evs[3].data)
	}
	if got := f.retrieveChat(auth, chat); got["status"] != "requires_action" {
		t.Errorf("retrieve after the stream: %v", got["status"])
	}
	callID := field(chat["required_action"].(map[string]any)["submit_tool_outputs"].(map[string]any)["tool_calls"].([]any)[0].(map[string]any), "id")

	res := postChat(t.Context(), t, f.hs.URL+"/v3/chat/submit_tool_outputs"+chatQuery(chat), auth,
		`{"stream":true,"tool_outputs":[{"tool_call_id":"`+callID+`","output":"rain"}]}`)
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	rest := readAll(t, res)
	reply := "Tool get_weather answered: rain"
	wantRest := []string{"conversation.chat.in_progress"}
	for range strings.Fields(reply) {
		wantRest = append(wantRest, "conversation.message.delta")
	}
	wantRest = append(wantRest, "conversation.message.completed", "conversation.chat.completed", "done")
	if got := names(rest); !slices.Equal(got, wantRest) {
		t.Fatalf("submit events %q", got)
	}
	var sb strings.Builder
	for _, e := range rest[1 : len(rest)-3] {
		sb.WriteString(field(e.decode(t), "content"))
	}
	final := rest[len(rest)-2].decode(t)
	if sb.String() != reply || final["status"] != "completed" || final["id"] != chat["id"] {
		t.Errorf("deltas %q, final %s", sb.String(), rest[len(rest)-2].data)
	}
	if got := f.retrieveChat(auth, chat); got["status"] != "completed" {
		t.Errorf("retrieve after submit: %v", got["status"])
	}
}

// readAll reads every event of a streamed answer.
func readAll(t *testing.T, res *http.Response) []sseEvent {
	t.Helper()
	br := bufioReader(res)
	var evs []sseEvent
	for {
		e, err := readEvent(br)
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("event %d: %v", len(evs), err)
			}
			return evs
		}
		evs = append(evs, e)
	}
}

// TestChatCancel checks cancel moves a chat that is created, in_progress
// or requires_action to canceled for good, and refuses any other.
func TestChatCancel(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	cancel := func(chat map[string]any) response {
		return f.call(http.MethodPost, "/v3/chat/cancel", auth,
			jsonBody(map[string]string{"conversation_id": field(chat, "conversation_id"), "chat_id": field(chat, "id")}))
	}
	created := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:a"))).data()
	inProgress := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:b"))).data()
	tool := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:weather"))).data()
	f.clk.Add(emulator.ChatStep)
	if got := f.retrieveChat(auth, inProgress); got["status"] != "in_progress" {
		t.Fatalf("status %v", got["status"])
	}
	if got := ok(t, cancel(inProgress)).data(); got["status"] != "canceled" || got["id"] != inProgress["id"] {
		t.Errorf("cancel in_progress: %v", got)
	}
	f.clk.Add(emulator.ChatStep)
	if got := f.retrieveChat(auth, tool); got["status"] != "requires_action" {
		t.Fatalf("status %v", got["status"])
	}
	if got := ok(t, cancel(tool)).data(); got["status"] != "canceled" || got["required_action"] != nil {
		t.Errorf("cancel requires_action: %v", got)
	}
	// created was never looked at; by the clock it is completed now.
	if m := wantAPIError(t, cancel(created), http.StatusOK, 4000); !strings.Contains(m, "completed") {
		t.Errorf("cancel completed: %q", m)
	}
	fresh := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:c"))).data()
	if got := ok(t, cancel(fresh)).data(); got["status"] != "canceled" {
		t.Errorf("cancel created: %v", got)
	}
	f.clk.Add(10 * emulator.ChatStep)
	for _, c := range []map[string]any{inProgress, tool, fresh} {
		if got := f.retrieveChat(auth, c); got["status"] != "canceled" {
			t.Errorf("canceled chat moved on to %v", got["status"])
		}
		if m := f.chatMessages(auth, c); len(m) > 1 || (len(m) == 1 && m[0]["type"] != "function_call") {
			t.Errorf("canceled chat answered %v", m)
		}
		wantAPIError(t, cancel(c), http.StatusOK, 4000)
	}
	wantAPIError(t, f.call(http.MethodPost, "/v3/chat/cancel?conversation_id="+field(fresh, "conversation_id")+"&chat_id="+field(fresh, "id"), auth, ""), http.StatusOK, 4000)
}

// TestChatAutoSaveHistory checks auto_save_history: false is refused
// without stream (as Coze does) and, streamed, keeps the conversation
// empty while the chat's messages stay listable.
func TestChatAutoSaveHistory(t *testing.T) {
	f := newFixture(t, noDelay)
	auth := f.sessionToken("alice")
	conv := f.newConversation(auth)
	body := func(stream bool) string {
		return jsonBody(map[string]any{"bot_id": botID, "stream": stream, "auto_save_history": false,
			"additional_messages": []map[string]string{{"role": "user", "content": "forget me", "content_type": "text"}}})
	}
	if m := wantAPIError(t, f.call(http.MethodPost, "/v3/chat?conversation_id="+conv, auth, body(false)), http.StatusOK, 4000); !strings.Contains(m, "auto_save_history") {
		t.Errorf("msg %q", m)
	}
	_, evs := f.streamChat("?conversation_id="+conv, auth, body(true))
	chat := evs[len(evs)-2].decode(t)
	if msgs := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list?conversation_id="+conv, auth, "")).list(); len(msgs) != 0 {
		t.Errorf("conversation holds %v", msgs)
	}
	if m := f.chatMessages(auth, chat); len(m) != 1 || m[0]["content"] != "You said: forget me" {
		t.Errorf("chat messages %v", m)
	}
}

// TestChatLifecycleRequestErrors checks the lifecycle endpoints' bad input.
func TestChatLifecycleRequestErrors(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	chat := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:x"))).data()
	conv := field(chat, "conversation_id")
	for _, c := range []struct {
		method, path, body string
		status             int
		code               int64
		want               string
	}{
		{http.MethodGet, "/v3/chat/retrieve?chat_id=1", "", 200, 4000, "conversation_id"},
		{http.MethodGet, "/v3/chat/retrieve?conversation_id=" + conv, "", 200, 4000, "chat_id"},
		{http.MethodGet, "/v3/chat/retrieve?conversation_id=" + conv + "&chat_id=7000000000000000000", "", 200, 4200, "7000000000000000000"},
		{http.MethodPost, "/v3/chat/retrieve?conversation_id=" + conv, `{"chat_id":`, 200, 4000, "invalid request body"},
		{http.MethodDelete, "/v3/chat/retrieve" + chatQuery(chat), "", 405, 4000, "GET or POST"},
		{http.MethodPut, "/v3/chat/message/list" + chatQuery(chat), "", 405, 4000, "GET or POST"},
		{http.MethodGet, "/v3/chat/message/list?conversation_id=1&chat_id=1", "", 200, 4200, "1"},
		{http.MethodGet, "/v3/chat/cancel", "", 405, 4000, "POST"},
		{http.MethodPost, "/v3/chat/cancel", `{"conversation_id":"` + conv + `"}`, 200, 4000, "chat_id"},
		{http.MethodPost, "/v3/chat/cancel", `nope`, 200, 4000, "invalid request body"},
		{http.MethodGet, "/v3/chat/submit_tool_outputs" + chatQuery(chat), "", 405, 4000, "POST"},
		{http.MethodPost, "/v3/chat/submit_tool_outputs" + chatQuery(chat), `{"tool_outputs":[{"tool_call_id":"1","output":"x"}]}`, 200, 4000, "not requires_action"},
		{http.MethodPost, "/v3/chat/submit_tool_outputs?conversation_id=" + conv, `{"tool_outputs":[{"tool_call_id":"1","output":"x"}]}`, 200, 4000, "chat_id"},
		{http.MethodPost, "/v3/chat/nope", "", 404, 4000, "does not exist"},
		{http.MethodPost, "/v3/chat", `{"bot_id":"1","additional_messages":[{"role":"bot","content":"x"}]}`, 200, 4000, "additional_messages[0].role"},
		{http.MethodPost, "/v3/chat", jsonBody(map[string]any{"bot_id": "1", "additional_messages": make([]map[string]string, 101)}), 200, 4000, "100"},
		{http.MethodPost, "/v3/chat", `{"bot_id":"1","meta_data":{"":"x"}}`, 200, 4000, "meta_data"},
	} {
		r := f.call(c.method, c.path, auth, c.body)
		if m := wantAPIError(t, r, c.status, c.code); !strings.Contains(m, c.want) {
			t.Errorf("%s %s %.60s: msg %q, want it to mention %q", c.method, c.path, c.body, m, c.want)
		}
		if c.status == http.StatusOK {
			wantAPIError(t, f.call(c.method, c.path, "Bearer czs_nope", c.body), http.StatusUnauthorized, 4100)
		}
	}
	if got := f.retrieveChat(auth, chat); got["status"] != "created" {
		t.Errorf("bad requests moved the chat: %v", got)
	}
}
