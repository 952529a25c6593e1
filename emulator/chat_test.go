package emulator_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

const botID = "7400000000000000001"

// chatBody is a /v3/chat request body; msgs alternate role:content pairs
// such as "user:hello".
func chatBody(stream bool, conversationID string, msgs ...string) string {
	var add []map[string]string
	for _, m := range msgs {
		role, content, _ := strings.Cut(m, ":")
		add = append(add, map[string]string{"role": role, "content": content, "content_type": "text"})
	}
	req := map[string]any{
		"bot_id":              botID,
		"user_id":             "u1",
		"stream":              stream,
		"additional_messages": add,
		"auto_save_history":   true,             // accepted and ignored
		"custom_variables":    map[string]any{}, // idem
	}
	if conversationID != "" {
		req["conversation_id"] = conversationID
	}
	b, err := json.Marshal(req)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// sseEvent is one server-sent event: its name and its data line.
type sseEvent struct {
	name string
	data json.RawMessage
}

// readEvent reads one event, insisting on Coze's exact framing
// "event:<name>\ndata:<one line of JSON>\n\n". It returns io.EOF at a clean
// end of stream.
func readEvent(br *bufio.Reader) (sseEvent, error) {
	line := func() (string, error) {
		s, err := br.ReadString('\n')
		if err != nil {
			if err == io.EOF && s != "" {
				err = io.ErrUnexpectedEOF
			}
			return s, err
		}
		return strings.TrimSuffix(s, "\n"), nil
	}
	ev, err := line()
	if err != nil {
		return sseEvent{}, err
	}
	data, err := line()
	if err != nil {
		return sseEvent{}, fmt.Errorf("after %q: %w", ev, err)
	}
	blank, err := line()
	if err != nil {
		return sseEvent{}, fmt.Errorf("after %q: %w", data, err)
	}
	name, ok1 := strings.CutPrefix(ev, "event:")
	raw, ok2 := strings.CutPrefix(data, "data:")
	switch {
	case !ok1 || name == "":
		return sseEvent{}, fmt.Errorf("want an event: line, got %q", ev)
	case !ok2:
		return sseEvent{}, fmt.Errorf("event %s: want one data: line, got %q", name, data)
	case blank != "":
		return sseEvent{}, fmt.Errorf("event %s: want a blank line after data, got %q", name, blank)
	case !json.Valid([]byte(raw)):
		return sseEvent{}, fmt.Errorf("event %s: data is not one line of JSON: %q", name, raw)
	}
	return sseEvent{name: name, data: json.RawMessage(raw)}, nil
}

// decode unmarshals the event's data into a map.
func (e sseEvent) decode(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.data, &m); err != nil {
		t.Fatalf("event %s data %s: %v", e.name, e.data, err)
	}
	return m
}

// postChat sends a /v3/chat request and returns the raw response.
func postChat(ctx context.Context, t *testing.T, url, auth, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", auth)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// streamChat posts a streamed chat and reads every event.
func (f *fixture) streamChat(query, auth, body string) (*http.Response, []sseEvent) {
	f.t.Helper()
	res := postChat(context.Background(), f.t, f.hs.URL+"/v3/chat"+query, auth, body)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		f.t.Fatalf("stream: %d %s", res.StatusCode, b)
	}
	br := bufio.NewReader(res.Body)
	var evs []sseEvent
	for {
		e, err := readEvent(br)
		if err == io.EOF {
			return res, evs
		}
		if err != nil {
			f.t.Fatalf("event %d: %v", len(evs), err)
		}
		evs = append(evs, e)
	}
}

// eventNames records the names the OnEvent hook sees.
type eventNames struct {
	mu    sync.Mutex
	names []string
	at    []time.Time
}

func (n *eventNames) hook(name string, at time.Time) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.names = append(n.names, name)
	n.at = append(n.at, at)
}

func (n *eventNames) get() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.names...)
}

func names(evs []sseEvent) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.name)
	}
	return out
}

// wantOrder is the event sequence of a streamed answer with n deltas.
func wantOrder(n int) []string {
	out := []string{"conversation.chat.created", "conversation.chat.in_progress"}
	for range n {
		out = append(out, "conversation.message.delta")
	}
	return append(out, "conversation.message.completed", "conversation.chat.completed", "done")
}

func noDelay(o *emulator.Options) { o.StreamDelay = -1 }

// TestChatAuth checks /v3/chat answers Coze's 401 for a missing, malformed,
// foreign or expired credential, before streaming anything.
func TestChatAuth(t *testing.T) {
	f := newFixture(t, noDelay)
	tok := f.accessToken()
	other := newFixture(t, nil)
	foreign := other.accessToken()
	for _, auth := range []string{"", "Bearer", "Basic " + tok, "Bearer czs_nope", "Bearer " + foreign, "Bearer " + f.assertion1(nil)} {
		r := f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", auth, chatBody(true, "", "user:hi"))
		if msg := wantAPIError(t, r, http.StatusUnauthorized, 4100); msg != "authentication is invalid" {
			t.Errorf("auth %q: msg %q", auth, msg)
		}
	}
	f.clk.Add(900 * time.Second)
	r := f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", "Bearer "+tok, chatBody(false, "", "user:hi"))
	wantAPIError(t, r, http.StatusUnauthorized, 4100)
	if n := f.srv.APICalls(); n != 0 {
		t.Errorf("APICalls = %d after only rejected chats", n)
	}
}

// TestChatRequestErrors checks the method and body checks: 405 for GET,
// and Coze's HTTP 200 with code 4000 for bad bodies.
func TestChatRequestErrors(t *testing.T) {
	f := newFixture(t, noDelay)
	auth := "Bearer " + f.accessToken()

	r := f.do(context.Background(), http.MethodGet, "/v3/chat", "", auth, "")
	wantAPIError(t, r, http.StatusMethodNotAllowed, 4000)
	if a := r.header.Get("Allow"); a != http.MethodPost {
		t.Errorf("405 Allow = %q", a)
	}

	noBot := `{"stream":true,"additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`
	for name, body := range map[string]string{
		"no bot_id":    noBot,
		"empty bot_id": `{"bot_id":"","stream":true}`,
		"not JSON":     `{"bot_id":`,
		"wrong type":   `{"bot_id":"1","stream":"yes"}`,
		"too large":    `{"bot_id":"1","user_id":"` + strings.Repeat("x", 1<<20) + `"}`,
	} {
		r := f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", auth, body)
		msg := wantAPIError(t, r, http.StatusOK, 4000)
		if name == "no bot_id" && !strings.Contains(msg, "bot_id") {
			t.Errorf("%s: msg %q does not name bot_id", name, msg)
		}
	}
}

// TestChatJSON checks the non-stream answer: Coze's envelope around a chat
// object just created.
func TestChatJSON(t *testing.T) {
	f := newFixture(t, nil)
	auth := "Bearer " + f.accessToken()
	r := f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", auth, chatBody(false, "", "user:hello"))
	if r.status != http.StatusOK || r.int("code") != 0 || r.str("msg") != "" {
		t.Fatalf("chat: %d %s", r.status, r.raw)
	}
	d := r.data()
	for _, k := range []string{"id", "conversation_id"} {
		if s, _ := d[k].(string); !idRE.MatchString(s) {
			t.Errorf("%s = %v, want a 19-digit id", k, d[k])
		}
	}
	if d["bot_id"] != botID || d["status"] != "created" || d["section_id"] != d["conversation_id"] {
		t.Errorf("chat object %s", r.raw)
	}
	if ts, _ := d["created_at"].(json.Number); ts.String() != fmt.Sprint(t0.Unix()) {
		t.Errorf("created_at = %v, want the emulator clock %d", d["created_at"], t0.Unix())
	}
	if _, ok := d["completed_at"]; ok {
		t.Errorf("a new chat has completed_at: %s", r.raw)
	}
	le, _ := d["last_error"].(map[string]any)
	usage, _ := d["usage"].(map[string]any)
	if le == nil || le["code"] != json.Number("0") || usage == nil {
		t.Errorf("last_error/usage missing: %s", r.raw)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}

	r2 := f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", auth, chatBody(false, "", "user:hello"))
	if r2.data()["id"] == d["id"] || r2.data()["conversation_id"] == d["conversation_id"] {
		t.Errorf("two chats share ids: %s and %s", r.raw, r2.raw)
	}
}

// TestChatConversationID checks the query's conversation_id wins over the
// body's, which is used otherwise, in both answer forms, and that either
// must name one of the caller's conversations.
func TestChatConversationID(t *testing.T) {
	f := newFixture(t, noDelay)
	auth := "Bearer " + f.accessToken()
	a, b := f.newConversation(auth), f.newConversation(auth)
	for _, c := range []struct{ query, body, want string }{
		{"?conversation_id=" + a, b, a},
		{"?conversation_id=" + a, "", a},
		{"", b, b},
	} {
		r := f.do(context.Background(), http.MethodPost, "/v3/chat"+c.query, "application/json", auth, chatBody(false, c.body, "user:x"))
		if got := r.data()["conversation_id"]; got != c.want {
			t.Errorf("JSON %q body %q: conversation_id %v, want %s", c.query, c.body, got, c.want)
		}
		_, evs := f.streamChat(c.query, auth, chatBody(true, c.body, "user:x"))
		for _, e := range evs[:len(evs)-1] { // all but done carry it
			if got := e.decode(t)["conversation_id"]; got != c.want {
				t.Errorf("stream %q body %q: %s conversation_id %v, want %s", c.query, c.body, e.name, got, c.want)
			}
		}
	}
	for _, c := range []struct{ query, body string }{{"?conversation_id=111", ""}, {"", "7000000000000000000"}, {"?conversation_id=111", a}} {
		for _, stream := range []bool{false, true} {
			r := f.do(context.Background(), http.MethodPost, "/v3/chat"+c.query, "application/json", auth, chatBody(stream, c.body, "user:x"))
			wantAPIError(t, r, http.StatusOK, 4200)
		}
	}
}

// TestChatStream checks a streamed answer event by event: order, framing,
// shapes, deltas that rebuild the echo of the last user message, and the
// OnEvent hook.
func TestChatStream(t *testing.T) {
	f := newFixture(t, noDelay)
	var seen eventNames
	f.srv.OnEvent(seen.hook)
	auth := "Bearer " + f.accessToken()
	// A multi-line, HTML-ish, non-ASCII message: each data: must still be one line.
	last := "hello  wide\tworld\nline two <b>&amp;</b> 你好 é"
	reply := "You said: " + last
	res, evs := f.streamChat("", auth, chatBody(true, "", "user:first question", "assistant:an answer", "user:"+last, "assistant:trailing"))

	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control %q", cc)
	}
	if !logidRE.MatchString(res.Header.Get("X-Tt-Logid")) {
		t.Errorf("X-Tt-Logid %q", res.Header.Get("X-Tt-Logid"))
	}
	words := len(strings.Fields(reply))
	if got, want := names(evs), wantOrder(words); !slices.Equal(got, want) {
		t.Fatalf("events\n%q\nwant\n%q", got, want)
	}
	if got := seen.get(); !slices.Equal(got, names(evs)) {
		t.Errorf("OnEvent saw %q, want %q", got, names(evs))
	}

	created, inProgress := evs[0].decode(t), evs[1].decode(t)
	chatID, _ := created["id"].(string)
	conv, _ := created["conversation_id"].(string)
	if !idRE.MatchString(chatID) || !idRE.MatchString(conv) || created["bot_id"] != botID || created["status"] != "created" {
		t.Errorf("chat.created %s", evs[0].data)
	}
	if inProgress["id"] != chatID || inProgress["status"] != "in_progress" {
		t.Errorf("chat.in_progress %s", evs[1].data)
	}

	var sb strings.Builder
	var msgID any
	for i, e := range evs[2 : 2+words] {
		m := e.decode(t)
		if i == 0 {
			msgID = m["id"]
		}
		if m["id"] != msgID || m["chat_id"] != chatID || m["conversation_id"] != conv || m["bot_id"] != botID ||
			m["role"] != "assistant" || m["type"] != "answer" || m["content_type"] != "text" {
			t.Errorf("delta %d %s", i, e.data)
		}
		c, _ := m["content"].(string)
		if c == "" {
			t.Errorf("delta %d is empty", i)
		}
		sb.WriteString(c)
	}
	if sb.String() != reply {
		t.Errorf("deltas concatenate to %q, want %q", sb.String(), reply)
	}

	done := evs[2+words:]
	if !bytes.Contains(done[0].data, []byte(`<b>&amp;</b>`)) || !bytes.Contains(done[0].data, []byte(`world\nline`)) {
		t.Errorf("message.completed data %s: want HTML unescaped and the newline as \\n", done[0].data)
	}
	if m := done[0].decode(t); m["content"] != reply || m["id"] != msgID || m["type"] != "answer" {
		t.Errorf("message.completed %s", done[0].data)
	}
	completed := done[1].decode(t)
	usage, _ := completed["usage"].(map[string]any)
	in, out := float64(len(strings.Fields(last))), float64(words)
	if completed["id"] != chatID || completed["status"] != "completed" || completed["completed_at"] != float64(t0.Unix()) ||
		usage["input_count"] != in || usage["output_count"] != out || usage["token_count"] != in+out {
		t.Errorf("chat.completed %s", done[1].data)
	}
	if string(done[2].data) != `"[DONE]"` {
		t.Errorf("done data %s", done[2].data)
	}
	if n := f.srv.APICalls(); n != 1 {
		t.Errorf("APICalls = %d after one chat", n)
	}
}

// TestChatStreamEvents checks Options.StreamEvents sets the number of
// deltas exactly, whether it is below or above the number of words or runes.
func TestChatStreamEvents(t *testing.T) {
	const msg = "one two three four"
	reply := "You said: " + msg
	for _, n := range []int{1, 2, 3, 6, 7, 20, len(reply), len(reply) + 5} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := newFixture(t, func(o *emulator.Options) { o.StreamDelay, o.StreamEvents = -1, n })
			_, evs := f.streamChat("", "Bearer "+f.accessToken(), chatBody(true, "", "user:"+msg))
			if got := names(evs); !slices.Equal(got, wantOrder(n)) {
				t.Fatalf("events %q, want %d deltas", got, n)
			}
			var sb strings.Builder
			for _, e := range evs[2 : 2+n] {
				c, _ := e.decode(t)["content"].(string)
				sb.WriteString(c)
			}
			if sb.String() != reply {
				t.Errorf("deltas concatenate to %q, want %q", sb.String(), reply)
			}
		})
	}
	// With no user message the echo is of nothing, still well-formed.
	f := newFixture(t, noDelay)
	_, evs := f.streamChat("", "Bearer "+f.accessToken(), chatBody(true, ""))
	if m := evs[len(evs)-3].decode(t); m["content"] != "You said: " {
		t.Errorf("empty chat completed with %s", evs[len(evs)-3].data)
	}
}

// TestChatStreamDelay checks events are spaced by at least StreamDelay and
// that OnEvent reports when each was flushed.
func TestChatStreamDelay(t *testing.T) {
	const delay = 3 * time.Millisecond
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay, o.StreamEvents = delay, 1 })
	var seen eventNames
	f.srv.OnEvent(seen.hook)
	auth := "Bearer " + f.accessToken()
	start := time.Now()
	_, evs := f.streamChat("", auth, chatBody(true, "", "user:hi"))
	elapsed := time.Since(start)
	if len(evs) != 6 || elapsed < 5*delay {
		t.Fatalf("%d events in %v, want 6 events spaced by %v", len(evs), elapsed, delay)
	}
	seen.mu.Lock()
	defer seen.mu.Unlock()
	for i := 1; i < len(seen.at); i++ {
		if gap := seen.at[i].Sub(seen.at[i-1]); gap < delay {
			t.Errorf("OnEvent times %d and %d are %v apart, want at least %v", i-1, i, gap, delay)
		}
	}
	if seen.at[0].Before(start) || seen.at[len(seen.at)-1].After(time.Now()) {
		t.Errorf("OnEvent times outside the request")
	}

	f.srv.OnEvent(nil) // removing the hook must not break streaming
	if _, evs := f.streamChat("", auth, chatBody(true, "", "user:hi")); len(evs) != 6 || len(seen.at) != 6 {
		t.Errorf("after OnEvent(nil): %d events, hook called %d times in all", len(evs), len(seen.at))
	}
}

// chatProbe serves f's emulator through a wrapper that reports each
// request's context and when its handler returns.
type chatProbe struct {
	hs   *httptest.Server
	ctx  chan context.Context
	done chan struct{}
}

func newChatProbe(t *testing.T, f *fixture) *chatProbe {
	p := &chatProbe{ctx: make(chan context.Context, 1), done: make(chan struct{})}
	p.hs = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(p.done)
		p.ctx <- r.Context()
		f.srv.ServeHTTP(w, r)
	}))
	t.Cleanup(p.hs.Close)
	return p
}

// waitHandler fails unless the chat handler returns promptly.
func (p *chatProbe) waitHandler(t *testing.T) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		t.Fatal("the chat handler kept running after the client went away")
	}
}

// TestChatStreamCancelDuringDelay checks a client hanging up while the
// handler waits out StreamDelay ends the handler at once.
func TestChatStreamCancelDuringDelay(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = 10 * time.Second })
	var seen eventNames
	f.srv.OnEvent(seen.hook)
	p := newChatProbe(t, f)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := postChat(ctx, t, p.hs.URL+"/v3/chat", "Bearer "+f.accessToken(), chatBody(true, "", "user:hi"))
	defer res.Body.Close()
	e, err := readEvent(bufio.NewReader(res.Body))
	if err != nil || e.name != "conversation.chat.created" {
		t.Fatalf("first event %q: %v", e.name, err)
	}
	select {
	case <-p.done:
		t.Fatal("the handler ended before the delay")
	default:
	}
	cancel()
	p.waitHandler(t)
	if got := seen.get(); !slices.Equal(got, []string{"conversation.chat.created"}) {
		t.Errorf("events sent: %q", got)
	}
}

// TestChatStreamCancelMidStream checks a client hanging up between deltas
// stops the stream before the next event, even with no delay: the handler
// is held after the first delta until the client has read it and hung up,
// so the next write would still succeed and only the request's context can
// stop it.
func TestChatStreamCancelMidStream(t *testing.T) {
	f := newFixture(t, noDelay)
	p := newChatProbe(t, f)
	var (
		mu   sync.Mutex
		sent []string
	)
	hookErr := make(chan error, 1)
	f.srv.OnEvent(func(name string, _ time.Time) {
		mu.Lock()
		sent = append(sent, name)
		first := len(sent) == 3
		mu.Unlock()
		if !first {
			return
		}
		srvCtx := <-p.ctx
		select {
		case <-srvCtx.Done():
			hookErr <- nil
		case <-time.After(5 * time.Second):
			hookErr <- errors.New("the request context was not cancelled after the client hung up")
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res := postChat(ctx, t, p.hs.URL+"/v3/chat", "Bearer "+f.accessToken(), chatBody(true, "", "user:a b c d e f g h"))
	br := bufio.NewReader(res.Body)
	for {
		e, err := readEvent(br)
		if err != nil {
			t.Fatalf("stream ended before its first delta: %v", err)
		}
		if e.name == "conversation.message.delta" {
			break
		}
	}
	cancel()
	_, _ = io.Copy(io.Discard, res.Body) // ends with the cancellation
	res.Body.Close()
	p.waitHandler(t)
	select {
	case err := <-hookErr:
		if err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatal("the OnEvent hook never saw a third event")
	}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(sent, wantOrder(1)[:3]) {
		t.Errorf("events sent %q, want the stream to stop after the first delta", sent)
	}
}
