package emulator_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestMessageCreateRetrieve checks create answers Coze's ChatV3Message
// (every field the SDK's type declares) and retrieve the same message.
func TestMessageCreateRetrieve(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	conv := f.newConversation(auth)
	q := "?conversation_id=" + conv
	r := ok(t, f.call(http.MethodPost, "/v1/conversation/message/create"+q, auth,
		`{"role":"user","content":"hello <b>","content_type":"text","meta_data":{"k":"v"}}`))
	m := r.data()
	for _, k := range []string{"id", "conversation_id", "bot_id", "chat_id", "meta_data", "role", "content", "content_type", "created_at", "updated_at", "type", "section_id", "reasoning_content"} {
		if _, has := m[k]; !has {
			t.Errorf("message lacks %s: %s", k, r.raw)
		}
	}
	meta, _ := m["meta_data"].(map[string]any)
	if !idRE.MatchString(field(m, "id")) || m["conversation_id"] != conv || m["role"] != "user" || m["content"] != "hello <b>" ||
		m["type"] != "question" || meta["k"] != "v" || m["created_at"] != json.Number("1767254400") || m["section_id"] != conv {
		t.Errorf("created %s", r.raw)
	}
	got := ok(t, f.call(http.MethodGet, "/v1/conversation/message/retrieve"+q+"&message_id="+field(m, "id"), auth, ""))
	if string(mustJSON(got.data())) != string(mustJSON(m)) {
		t.Errorf("retrieved %s, created %s", got.raw, r.raw)
	}
	// object_string content may be sent as an array, as the SDK does.
	r = ok(t, f.call(http.MethodPost, "/v1/conversation/message/create"+q, auth,
		`{"role":"user","content":[{"type":"image","file_id":"7"},{"type":"text","text":"what?"}],"content_type":"object_string"}`))
	if c := field(r.data(), "content"); c != `[{"file_id":"7","type":"image"},{"text":"what?","type":"text"}]` {
		t.Errorf("object_string content stored as %q", c)
	}
}

// TestMessageModifyDelete checks modify changes only what it is given,
// answers under "message" as Coze does and sets updated_at; delete answers
// the message and removes it.
func TestMessageModifyDelete(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	conv := f.newConversation(auth)
	q := "?conversation_id=" + conv
	id := field(ok(t, f.call(http.MethodPost, "/v1/conversation/message/create"+q, auth,
		`{"role":"user","content":"before","content_type":"text","meta_data":{"k":"v"}}`)).data(), "id")
	f.clk.Add(time.Minute)
	r := ok(t, f.call(http.MethodPost, "/v1/conversation/message/modify"+q+"&message_id="+id, auth, `{"content":"after"}`))
	if _, has := r.body["data"]; has {
		t.Errorf("modify answers data: %s", r.raw)
	}
	m, _ := r.body["message"].(map[string]any)
	meta, _ := m["meta_data"].(map[string]any)
	if m["id"] != id || m["content"] != "after" || m["content_type"] != "text" || meta["k"] != "v" ||
		m["updated_at"] != json.Number("1767254460") || m["created_at"] != json.Number("1767254400") {
		t.Errorf("modified %s", r.raw)
	}
	r = ok(t, f.call(http.MethodPost, "/v1/conversation/message/modify"+q+"&message_id="+id, auth, `{"meta_data":{"n":"1"}}`))
	m, _ = r.body["message"].(map[string]any)
	if meta, _ := m["meta_data"].(map[string]any); m["content"] != "after" || meta["n"] != "1" || meta["k"] != nil {
		t.Errorf("meta_data replaced: %s", r.raw)
	}
	got := ok(t, f.call(http.MethodGet, "/v1/conversation/message/retrieve"+q+"&message_id="+id, auth, "")).data()
	if got["content"] != "after" {
		t.Errorf("retrieve after modify %v", got)
	}
	del := ok(t, f.call(http.MethodPost, "/v1/conversation/message/delete"+q+"&message_id="+id, auth, "")).data()
	if del["id"] != id || del["content"] != "after" {
		t.Errorf("deleted %v", del)
	}
	wantAPIError(t, f.call(http.MethodGet, "/v1/conversation/message/retrieve"+q+"&message_id="+id, auth, ""), http.StatusOK, 4200)
	wantAPIError(t, f.call(http.MethodPost, "/v1/conversation/message/delete"+q+"&message_id="+id, auth, ""), http.StatusOK, 4200)
	if msgs := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list"+q, auth, "")).list(); len(msgs) != 0 {
		t.Errorf("after delete %v", msgs)
	}
}

// TestMessageList checks the list's order, paging by after_id/before_id
// with first_id, last_id and has_more, limit and the chat_id filter.
func TestMessageList(t *testing.T) {
	f := newFixture(t, nil)
	auth := f.sessionToken("alice")
	conv := f.newConversation(auth)
	q := "?conversation_id=" + conv
	var ids []string // oldest first
	for _, c := range []string{"m0", "m1", "m2", "m3", "m4"} {
		ids = append(ids, field(ok(t, f.call(http.MethodPost, "/v1/conversation/message/create"+q, auth,
			`{"role":"user","content":"`+c+`","content_type":"text"}`)).data(), "id"))
	}
	desc := slices.Clone(ids)
	slices.Reverse(desc)
	list := func(body string) ([]string, response) {
		t.Helper()
		r := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list"+q, auth, body))
		var got []string
		for _, m := range r.list() {
			got = append(got, field(m, "id"))
		}
		return got, r
	}
	check := func(body string, want []string, more bool) response {
		t.Helper()
		got, r := list(body)
		first, last := "", ""
		if len(want) > 0 {
			first, last = want[0], want[len(want)-1]
		}
		if !slices.Equal(got, want) || r.str("first_id") != first || r.str("last_id") != last || r.body["has_more"] != more {
			t.Errorf("list %s: %s\nwant ids %v has_more %v", body, r.raw, want, more)
		}
		return r
	}
	check("", desc, false)
	check(`{"order":"asc"}`, ids, false)
	p1 := check(`{"limit":2}`, desc[:2], true)
	p2 := check(`{"limit":2,"after_id":"`+p1.str("last_id")+`"}`, desc[2:4], true)
	check(`{"limit":2,"after_id":"`+p2.str("last_id")+`"}`, desc[4:], false)
	check(`{"limit":2,"before_id":"`+p2.str("first_id")+`"}`, desc[:2], false)
	check(`{"limit":1,"before_id":"`+p2.str("last_id")+`"}`, desc[2:3], true)
	check(`{"order":"asc","limit":3,"after_id":"`+ids[0]+`"}`, ids[1:4], true)

	// The chat_id filter: the question and answer of one chat.
	chat := ok(t, f.call(http.MethodPost, "/v3/chat"+q, auth, chatBody(false, "", "user:hi"))).data()
	f.clk.Add(2 * emulatorChatStep)
	got, r := list(`{"chat_id":"` + field(chat, "id") + `","order":"asc"}`)
	if len(got) != 2 || r.list()[0]["content"] != "hi" || r.list()[1]["content"] != "You said: hi" {
		t.Errorf("chat filter: %s", r.raw)
	}
	if got, _ := list(`{"chat_id":"7000000000000000000"}`); len(got) != 0 {
		t.Errorf("unknown chat_id lists %v", got)
	}
}
