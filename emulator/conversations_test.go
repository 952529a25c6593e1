package emulator_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestConversationCreateRetrieve checks create answers Coze's Conversation
// (meta_data kept, last_section_id its own id) and retrieve answers the same.
func TestConversationCreateRetrieve(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	body := jsonBody(map[string]any{
		"bot_id":    botID,
		"meta_data": map[string]string{"k": "v"},
		"messages": []map[string]any{
			{"role": "user", "content": "hello", "content_type": "text"},
			{"role": "assistant", "content": []map[string]string{{"type": "text", "text": "hi"}}, "content_type": "object_string"},
		},
	})
	r := ok(t, f.call(http.MethodPost, "/v1/conversation/create", auth, body))
	c := r.data()
	id := field(c, "id")
	meta, _ := c["meta_data"].(map[string]any)
	if !idRE.MatchString(id) || c["created_at"] != json.Number("1767254400") || meta["k"] != "v" || c["last_section_id"] != id {
		t.Errorf("created %s", r.raw)
	}
	got := ok(t, f.call(http.MethodGet, "/v1/conversation/retrieve?conversation_id="+id, auth, ""))
	if string(mustJSON(got.data())) != string(mustJSON(c)) {
		t.Errorf("retrieved %s, created %s", got.raw, r.raw)
	}
	msgs := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list?conversation_id="+id, auth, `{"order":"asc"}`)).list()
	if len(msgs) != 2 || msgs[0]["content"] != "hello" || msgs[0]["type"] != "question" ||
		msgs[1]["content"] != `[{"text":"hi","type":"text"}]` || msgs[1]["type"] != "answer" || msgs[1]["content_type"] != "object_string" ||
		msgs[1]["bot_id"] != botID || msgs[0]["section_id"] != id {
		t.Errorf("initial messages %v", msgs)
	}
	// No body at all: an empty conversation bound to no bot.
	if r := ok(t, f.call(http.MethodPost, "/v1/conversation/create", auth, "")); !idRE.MatchString(field(r.data(), "id")) {
		t.Errorf("empty create %s", r.raw)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// TestConversationList checks the list is the caller's conversations with
// one bot, newest first, paged by page_num and page_size with has_more.
func TestConversationList(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	var ids []string
	for range 5 {
		ids = append(ids, f.newConversation(auth))
	}
	ok(t, f.call(http.MethodPost, "/v1/conversation/create", auth, `{"bot_id":"7400000000000000002"}`))
	ok(t, f.call(http.MethodPost, "/v1/conversation/create", f.sessionToken("bob"), `{"bot_id":"`+botID+`"}`))
	// A chat without conversation_id makes a conversation with its bot.
	chat := ok(t, f.call(http.MethodPost, "/v3/chat", auth, chatBody(false, "", "user:hi"))).data()
	ids = append(ids, field(chat, "conversation_id"))
	slices.Reverse(ids)

	page := func(q string) ([]string, bool) {
		t.Helper()
		r := ok(t, f.call(http.MethodGet, "/v1/conversations?bot_id="+botID+q, auth, ""))
		var got []string
		convs, _ := r.data()["conversations"].([]any)
		for _, c := range convs {
			got = append(got, field(c.(map[string]any), "id"))
		}
		more, isBool := r.data()["has_more"].(bool)
		if !isBool {
			t.Fatalf("has_more missing: %s", r.raw)
		}
		return got, more
	}
	if got, more := page(""); !slices.Equal(got, ids) || more {
		t.Errorf("default page %v %v, want %v", got, more, ids)
	}
	if got, more := page("&page_num=1&page_size=4"); !slices.Equal(got, ids[:4]) || !more {
		t.Errorf("page 1 %v %v", got, more)
	}
	if got, more := page("&page_num=2&page_size=4"); !slices.Equal(got, ids[4:]) || more {
		t.Errorf("page 2 %v %v", got, more)
	}
	if got, more := page("&page_num=9&page_size=4"); len(got) != 0 || more {
		t.Errorf("page 9 %v %v", got, more)
	}
	r := ok(t, f.call(http.MethodGet, "/v1/conversations?bot_id=7499999999999999999", auth, ""))
	if convs, isList := r.data()["conversations"].([]any); !isList || len(convs) != 0 {
		t.Errorf("unknown bot: %s, want an empty list", r.raw)
	}
}

// TestConversationClear checks clear starts a new section that retrieve
// and later chats report, keeping the messages.
func TestConversationClear(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	id := f.newConversation(auth)
	ok(t, f.call(http.MethodPost, "/v1/conversation/message/create?conversation_id="+id, auth, `{"role":"user","content":"x","content_type":"text"}`))
	r := ok(t, f.call(http.MethodPost, "/v1/conversations/"+id+"/clear", auth, ""))
	sec := field(r.data(), "id")
	if !idRE.MatchString(sec) || sec == id || field(r.data(), "conversation_id") != id {
		t.Fatalf("clear %s", r.raw)
	}
	if got := ok(t, f.call(http.MethodGet, "/v1/conversation/retrieve?conversation_id="+id, auth, "")).data(); got["last_section_id"] != sec {
		t.Errorf("after clear last_section_id %v, want %s", got["last_section_id"], sec)
	}
	chat := ok(t, f.call(http.MethodPost, "/v3/chat?conversation_id="+id, auth, chatBody(false, "", "user:again"))).data()
	if chat["section_id"] != sec {
		t.Errorf("chat after clear in section %v, want %s", chat["section_id"], sec)
	}
	if msgs := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list?conversation_id="+id, auth, "")).list(); len(msgs) != 2 {
		t.Errorf("clear dropped messages: %v", msgs)
	}
	wantAPIError(t, f.call(http.MethodGet, "/v1/conversations/"+id+"/clear", auth, ""), http.StatusMethodNotAllowed, 4000)
	wantAPIError(t, f.call(http.MethodPost, "/v1/conversations/7000000000000000000/clear", auth, ""), http.StatusOK, 4200)
	wantAPIError(t, f.call(http.MethodPost, "/v1/conversations//clear", auth, ""), http.StatusNotFound, 4000)
	wantAPIError(t, f.call(http.MethodPost, "/v1/conversations/"+id+"/x/clear", auth, ""), http.StatusNotFound, 4000)
}

// TestConversationIsolation checks a conversation belongs to the identity
// that made it: another session of the same app, another app's session and
// a PAT user get code 4200 for it on every endpoint, as for an unknown id,
// and change nothing.
func TestConversationIsolation(t *testing.T) {
	f := newFixture(t, nil)
	alice := f.sessionToken("alice")
	id := f.newConversation(alice)
	msg := field(ok(t, f.call(http.MethodPost, "/v1/conversation/message/create?conversation_id="+id, alice,
		`{"role":"user","content":"secret","content_type":"text"}`)).data(), "id")
	chat := field(ok(t, f.call(http.MethodPost, "/v3/chat?conversation_id="+id, alice, chatBody(false, "", "user:hi"))).data(), "id")

	f.srv.AddPAT("pat_mallory", "mallory")
	others := map[string]string{"bob": f.sessionToken("bob"), "no session": "Bearer " + f.accessToken(), "pat": "Bearer pat_mallory"}
	q := "?conversation_id=" + id
	for who, auth := range others {
		for _, c := range []struct{ method, path, body string }{
			{http.MethodGet, "/v1/conversation/retrieve" + q, ""},
			{http.MethodPost, "/v1/conversation/message/list" + q, ""},
			{http.MethodPost, "/v1/conversation/message/create" + q, `{"role":"user","content":"x","content_type":"text"}`},
			{http.MethodGet, "/v1/conversation/message/retrieve" + q + "&message_id=" + msg, ""},
			{http.MethodPost, "/v1/conversation/message/modify" + q + "&message_id=" + msg, `{"content":"pwned"}`},
			{http.MethodPost, "/v1/conversation/message/delete" + q + "&message_id=" + msg, ""},
			{http.MethodPost, "/v1/conversations/" + id + "/clear", ""},
			{http.MethodPost, "/v3/chat" + q, chatBody(false, "", "user:x")},
			{http.MethodPost, "/v3/chat" + q, chatBody(true, "", "user:x")},
			{http.MethodGet, "/v3/chat/retrieve" + q + "&chat_id=" + chat, ""},
			{http.MethodGet, "/v3/chat/message/list" + q + "&chat_id=" + chat, ""},
			{http.MethodPost, "/v3/chat/cancel", `{"conversation_id":"` + id + `","chat_id":"` + chat + `"}`},
			{http.MethodPost, "/v3/chat/submit_tool_outputs" + q + "&chat_id=" + chat, `{"tool_outputs":[{"tool_call_id":"1","output":"x"}]}`},
		} {
			r := f.call(c.method, c.path, auth, c.body)
			if m := wantAPIError(t, r, http.StatusOK, 4200); !strings.Contains(m, id) {
				t.Errorf("%s %s %s: msg %q does not name the conversation", who, c.method, c.path, m)
			}
		}
		r := ok(t, f.call(http.MethodGet, "/v1/conversations?bot_id="+botID, auth, ""))
		if convs, _ := r.data()["conversations"].([]any); len(convs) != 0 {
			t.Errorf("%s lists alice's conversations: %s", who, r.raw)
		}
	}
	// Alice still sees everything as it was.
	m := ok(t, f.call(http.MethodGet, "/v1/conversation/message/retrieve"+q+"&message_id="+msg, alice, "")).data()
	if m["content"] != "secret" {
		t.Errorf("alice's message changed: %v", m)
	}
	if got := ok(t, f.call(http.MethodGet, "/v3/chat/retrieve"+q+"&chat_id="+chat, alice, "")).data(); got["status"] != "created" {
		t.Errorf("alice's chat changed: %v", got)
	}
	if msgs := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list"+q, alice, "")).list(); len(msgs) != 2 {
		t.Errorf("alice's conversation has %d messages, want 2", len(msgs))
	}
}

// TestConversationRequestErrors checks every endpoint's bad input answers
// Coze's error shape: 405 for a wrong method, HTTP 200 with code 4000 for a
// bad body or parameter, 4200 for an unknown id, 401 without a token.
func TestConversationRequestErrors(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	id := f.newConversation(auth)
	msg := field(ok(t, f.call(http.MethodPost, "/v1/conversation/message/create?conversation_id="+id, auth,
		`{"role":"user","content":"x","content_type":"text"}`)).data(), "id")
	q := "?conversation_id=" + id
	big := `{"bot_id":"` + strings.Repeat("x", 1<<20) + `"}`
	meta17 := map[string]string{}
	for i := range 17 {
		meta17[string(rune('a'+i))] = "v"
	}
	type tc struct {
		method, path, body string
		status             int
		code               int64
		want               string // in msg
	}
	cases := []tc{
		{http.MethodGet, "/v1/conversation/create", "", 405, 4000, "POST"},
		{http.MethodPost, "/v1/conversation/create", `{"bot_id":`, 200, 4000, "invalid request body"},
		{http.MethodPost, "/v1/conversation/create", `[1]`, 200, 4000, "invalid request body"},
		{http.MethodPost, "/v1/conversation/create", big, 200, 4000, "too large"},
		{http.MethodPost, "/v1/conversation/create", `{"messages":[{"role":"system","content":"x","content_type":"text"}]}`, 200, 4000, "messages[0].role"},
		{http.MethodPost, "/v1/conversation/create", `{"messages":[{"role":"user","content":"x","content_type":"card"}]}`, 200, 4000, "content_type"},
		{http.MethodPost, "/v1/conversation/create", `{"messages":[{"role":"user","content":7,"content_type":"text"}]}`, 200, 4000, "content"},
		{http.MethodPost, "/v1/conversation/create", jsonBody(map[string]any{"meta_data": meta17}), 200, 4000, "meta_data"},
		{http.MethodPost, "/v1/conversation/create", jsonBody(map[string]any{"meta_data": map[string]string{"": "v"}}), 200, 4000, "meta_data"},
		{http.MethodPost, "/v1/conversation/create", jsonBody(map[string]any{"meta_data": map[string]string{"k": strings.Repeat("é", 513)}}), 200, 4000, "meta_data"},
		{http.MethodPost, "/v1/conversation/retrieve" + q, "", 405, 4000, "GET"},
		{http.MethodGet, "/v1/conversation/retrieve", "", 200, 4000, "conversation_id"},
		{http.MethodGet, "/v1/conversation/retrieve?conversation_id=7000000000000000000", "", 200, 4200, "7000000000000000000"},
		{http.MethodGet, "/v1/conversation/retrieve?conversation_id=abc", "", 200, 4200, "abc"},
		{http.MethodGet, "/v1/conversations", "", 200, 4000, "bot_id"},
		{http.MethodGet, "/v1/conversations?bot_id=1&page_num=0", "", 200, 4000, "page_num"},
		{http.MethodGet, "/v1/conversations?bot_id=1&page_size=51", "", 200, 4000, "page_size"},
		{http.MethodGet, "/v1/conversations?bot_id=1&page_size=x", "", 200, 4000, "page_size"},
		{http.MethodPost, "/v1/conversations?bot_id=1", "", 405, 4000, "GET"},
		{http.MethodPost, "/v1/conversation/message/create" + q, `{"content":"x","content_type":"text"}`, 200, 4000, "role"},
		{http.MethodPost, "/v1/conversation/message/create" + q, `{"role":"user","content_type":"text"}`, 200, 4000, "content"},
		{http.MethodPost, "/v1/conversation/message/create" + q, `{"role":"user","content":"x"}`, 200, 4000, "content_type"},
		{http.MethodPost, "/v1/conversation/message/create", `{"role":"user","content":"x","content_type":"text"}`, 200, 4000, "conversation_id"},
		{http.MethodPost, "/v1/conversation/message/create?conversation_id=1", `{"role":"user","content":"x","content_type":"text"}`, 200, 4200, "1"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"order":"up"}`, 200, 4000, "order"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"limit":0}`, 200, 4000, "limit"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"limit":51}`, 200, 4000, "limit"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"limit":"2"}`, 200, 4000, "invalid request body"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"before_id":"` + msg + `","after_id":"` + msg + `"}`, 200, 4000, "not both"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"after_id":"7000000000000000000"}`, 200, 4000, "after_id"},
		{http.MethodPost, "/v1/conversation/message/list" + q, `{"before_id":"7000000000000000000"}`, 200, 4000, "before_id"},
		{http.MethodGet, "/v1/conversation/message/list" + q, "", 405, 4000, "POST"},
		{http.MethodGet, "/v1/conversation/message/retrieve" + q, "", 200, 4000, "message_id"},
		{http.MethodGet, "/v1/conversation/message/retrieve" + q + "&message_id=7000000000000000000", "", 200, 4200, "7000000000000000000"},
		{http.MethodPost, "/v1/conversation/message/modify" + q + "&message_id=" + msg, `{"content_type":"card"}`, 200, 4000, "content_type"},
		{http.MethodPost, "/v1/conversation/message/modify" + q + "&message_id=" + msg, `{"content":{}}`, 200, 4000, "content"},
		{http.MethodPost, "/v1/conversation/message/modify" + q + "&message_id=1", `{"content":"y"}`, 200, 4200, "1"},
		{http.MethodPost, "/v1/conversation/message/delete" + q + "&message_id=1", "", 200, 4200, "1"},
		{http.MethodGet, "/v1/conversation/message/delete" + q + "&message_id=" + msg, "", 405, 4000, "POST"},
		{http.MethodPost, "/v1/conversation/nope", "", 404, 4000, "does not exist"},
	}
	for _, c := range cases {
		r := f.call(c.method, c.path, auth, c.body)
		if m := wantAPIError(t, r, c.status, c.code); !strings.Contains(m, c.want) {
			t.Errorf("%s %s %.60s: msg %q, want it to mention %q", c.method, c.path, c.body, m, c.want)
		}
	}
	// Nothing above changed the conversation.
	if msgs := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list"+q, auth, "")).list(); len(msgs) != 1 || msgs[0]["content"] != "x" {
		t.Errorf("after bad requests: %v", msgs)
	}
	for _, c := range cases {
		if c.status != http.StatusOK { // the path and the method are checked first
			continue
		}
		wantAPIError(t, f.call(c.method, c.path, "", c.body), http.StatusUnauthorized, 4100)
	}
}

// TestConversationBounds checks the store's bounds: the least recently
// used conversation is evicted first, a conversation keeps only its newest
// messages, and the byte budget holds.
func TestConversationBounds(t *testing.T) {
	f := newFixture(t, nil)
	emulator.SetConversationLimits(f.srv, 3, 4, 2, 0, 0)
	auth := f.sessionToken("alice")
	a, b, c := f.newConversation(auth), f.newConversation(auth), f.newConversation(auth)
	ok(t, f.call(http.MethodGet, "/v1/conversation/retrieve?conversation_id="+a, auth, "")) // a is used: b is now the oldest
	d := f.newConversation(auth)
	wantAPIError(t, f.call(http.MethodGet, "/v1/conversation/retrieve?conversation_id="+b, auth, ""), http.StatusOK, 4200)
	for _, id := range []string{a, c, d} {
		ok(t, f.call(http.MethodGet, "/v1/conversation/retrieve?conversation_id="+id, auth, ""))
	}
	if n, _, _ := emulator.ConversationStats(f.srv); n != 3 {
		t.Errorf("%d conversations held, want 3", n)
	}

	var ids []string
	for i := range 6 {
		m := ok(t, f.call(http.MethodPost, "/v1/conversation/message/create?conversation_id="+a, auth,
			jsonBody(map[string]string{"role": "user", "content": string(rune('a' + i)), "content_type": "text"})))
		ids = append(ids, field(m.data(), "id"))
	}
	var got []string
	for _, m := range ok(t, f.call(http.MethodPost, "/v1/conversation/message/list?conversation_id="+a, auth, `{"order":"asc"}`)).list() {
		got = append(got, field(m, "content"))
	}
	if !slices.Equal(got, []string{"c", "d", "e", "f"}) {
		t.Errorf("messages kept %v, want the newest 4", got)
	}
	wantAPIError(t, f.call(http.MethodGet, "/v1/conversation/message/retrieve?conversation_id="+a+"&message_id="+ids[0], auth, ""), http.StatusOK, 4200)

	// Chats: at most 2 per conversation, the oldest forgotten.
	var chats []string
	for range 3 {
		chats = append(chats, field(ok(t, f.call(http.MethodPost, "/v3/chat?conversation_id="+c, auth, chatBody(false, "", "user:x"))).data(), "id"))
	}
	wantAPIError(t, f.call(http.MethodGet, "/v3/chat/retrieve?conversation_id="+c+"&chat_id="+chats[0], auth, ""), http.StatusOK, 4200)
	ok(t, f.call(http.MethodGet, "/v3/chat/retrieve?conversation_id="+c+"&chat_id="+chats[2], auth, ""))

	// A byte budget: one conversation's big messages push the others out,
	// then its own oldest.
	g := newFixture(t, nil)
	emulator.SetConversationLimits(g.srv, 0, 0, 0, 0, 3*(100_000+300))
	auth = g.sessionToken("alice")
	old := g.newConversation(auth)
	ok(t, g.call(http.MethodPost, "/v1/conversation/message/create?conversation_id="+old, auth, `{"role":"user","content":"tiny","content_type":"text"}`))
	cur := g.newConversation(auth)
	for range 5 {
		ok(t, g.call(http.MethodPost, "/v1/conversation/message/create?conversation_id="+cur, auth,
			jsonBody(map[string]string{"role": "user", "content": strings.Repeat("z", 100_000), "content_type": "text"})))
	}
	wantAPIError(t, g.call(http.MethodGet, "/v1/conversation/retrieve?conversation_id="+old, auth, ""), http.StatusOK, 4200)
	convs, msgs, bytes := emulator.ConversationStats(g.srv)
	if convs != 1 || msgs != 3 || bytes > 3*(100_000+300) {
		t.Errorf("held %d conversations, %d messages, %d bytes; want 1, 3, within the budget", convs, msgs, bytes)
	}
}
