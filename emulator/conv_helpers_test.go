package emulator_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// sessionToken mints an access token for app1 with the given session_name.
func (f *fixture) sessionToken(session string) string {
	f.t.Helper()
	return "Bearer " + wantOK(f.t, f, f.mint(map[string]any{"session_name": session}, ""), 900)
}

// call sends an API request with a JSON body (none when body is "").
func (f *fixture) call(method, path, auth, body string) response {
	f.t.Helper()
	ctype := ""
	if body != "" {
		ctype = "application/json"
	}
	return f.do(context.Background(), method, path, ctype, auth, body)
}

// ok checks r is Coze's success envelope, detail.logid included, and
// returns it.
func ok(t *testing.T, r response) response {
	t.Helper()
	if r.err != nil {
		t.Fatalf("transport error: %v", r.err)
	}
	if r.status != http.StatusOK || r.int("code") != 0 || r.str("msg") != "" {
		t.Fatalf("got %d %s, want a success", r.status, r.raw)
	}
	detail, _ := r.body["detail"].(map[string]any)
	if id := r.header.Get("X-Tt-Logid"); detail["logid"] != id {
		t.Errorf("detail.logid = %v, want the X-Tt-Logid header %q", detail["logid"], id)
	}
	return r
}

// newConversation creates a conversation with botID and returns its id.
func (f *fixture) newConversation(auth string) string {
	f.t.Helper()
	r := ok(f.t, f.call(http.MethodPost, "/v1/conversation/create", auth, `{"bot_id":"`+botID+`"}`))
	id, _ := r.data()["id"].(string)
	if !idRE.MatchString(id) {
		f.t.Fatalf("conversation id %q", id)
	}
	return id
}

// list returns the "data" array of an answer.
func (r response) list() []map[string]any {
	raw, _ := r.body["data"].([]any)
	out := make([]map[string]any, 0, len(raw))
	for _, x := range raw {
		m, _ := x.(map[string]any)
		out = append(out, m)
	}
	return out
}

// jsonBody marshals v.
func jsonBody(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// field reads a string field of a decoded object.
func field(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// emulatorChatStep is emulator.ChatStep, the time a non-streamed chat
// spends in each of created and in_progress.
const emulatorChatStep = emulator.ChatStep

// bufioReader wraps a response body for readEvent.
func bufioReader(res *http.Response) *bufio.Reader { return bufio.NewReader(res.Body) }
