package emulator_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestConversationsConcurrent drives every conversation endpoint from
// several identities at once while the clock moves (run with -race): each
// identity ends with exactly its own messages, and the store's totals
// match what it holds.
func TestConversationsConcurrent(t *testing.T) {
	f := newFixture(t, noDelay)
	const workers, rounds = 6, 8
	auths := make([]string, workers)
	for i := range auths {
		auths[i] = f.sessionToken(fmt.Sprint("s", i))
	}
	var wg sync.WaitGroup
	convs := make([]string, workers)
	canceled := make([]int, workers)
	for i := range workers {
		wg.Go(func() {
			auth := auths[i]
			conv := f.newConversation(auth)
			convs[i] = conv
			q := "?conversation_id=" + conv
			for r := range rounds {
				ok(t, f.call(http.MethodPost, "/v1/conversation/message/create"+q, auth, fmt.Sprintf(`{"role":"user","content":"w%d r%d","content_type":"text"}`, i, r)))
				chat := ok(t, f.call(http.MethodPost, "/v3/chat"+q, auth, chatBody(false, "", "user:hi"))).data()
				if r%2 == 0 { // refused when the clock has already completed it
					c := f.call(http.MethodPost, "/v3/chat/cancel", auth, jsonBody(map[string]string{"conversation_id": conv, "chat_id": field(chat, "id")}))
					if c.int("code") == 0 {
						canceled[i]++
					}
				}
				f.streamChat(q, auth, chatBody(true, "", "user:stream"))
				ok(t, f.call(http.MethodGet, "/v3/chat/retrieve"+chatQuery(chat), auth, ""))
				ok(t, f.call(http.MethodPost, "/v1/conversation/message/list"+q, auth, `{"limit":5}`))
				ok(t, f.call(http.MethodGet, "/v1/conversations?bot_id="+botID, auth, ""))
				f.clk.Add(emulator.ChatStep / 3)
			}
		})
	}
	wg.Wait()
	f.clk.Add(3 * emulator.ChatStep)
	for i, conv := range convs {
		n := 0
		after := ""
		for {
			body := `{"order":"asc","limit":50}`
			if after != "" {
				body = `{"order":"asc","limit":50,"after_id":"` + after + `"}`
			}
			r := ok(t, f.call(http.MethodPost, "/v1/conversation/message/list?conversation_id="+conv, auths[i], body))
			for _, m := range r.list() {
				if m["conversation_id"] != conv {
					t.Errorf("worker %d sees %v", i, m)
				}
			}
			n += len(r.list())
			if r.body["has_more"] != true {
				break
			}
			after = r.str("last_id")
		}
		// Per round: its message, the chat's question (and answer unless
		// canceled first), the streamed chat's question and answer.
		if want := rounds*5 - canceled[i]; n != want {
			t.Errorf("worker %d: %d messages, want %d", i, n, want)
		}
	}
	if convsHeld, _, _ := emulator.ConversationStats(f.srv); convsHeld != workers {
		t.Errorf("%d conversations held, want %d", convsHeld, workers)
	}
}
