package emulator_test

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestFaultTargetsPath: a fault with a Path hits only the requests under
// it, with the API's error shape, and leaves the token endpoint alone; a
// fault without one hits only the token endpoint.
func TestFaultTargetsPath(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.accessToken()
	f.srv.Inject(emulator.Fault{Path: "/v1/users/me", Status: 429, RetryAfter: "3"})
	wantOK(t, f, f.mint(nil, ""), 900) // not selected: the token endpoint
	r := f.me("Bearer " + tok)
	wantAPIError(t, r, http.StatusTooManyRequests, 4013)
	if got := r.header.Get("Retry-After"); got != "3" {
		t.Errorf("Retry-After %q", got)
	}
	f.wantMe(tok, app1+"-") // spent

	f.srv.Inject(emulator.Fault{Status: 503})
	f.wantMe(tok, app1+"-") // "" is the token endpoint only
	wantOAuth(t, f.mint(nil, ""), http.StatusServiceUnavailable, "internal_error", "emulated fault")

	f.srv.Inject(emulator.Fault{Path: "/", Times: 2, Status: 500})
	if s := f.do(context.Background(), http.MethodGet, "/_emulator/stats", "", "", ""); s.status != http.StatusOK {
		t.Errorf("stats under a fault: %d", s.status)
	}
	wantAPIError(t, f.chatWith("Bearer "+tok, botID), http.StatusInternalServerError, 5000)
	wantOAuth(t, f.mint(nil, ""), http.StatusInternalServerError, "internal_error", "emulated fault")
	f.wantMe(tok, app1+"-")

	// A fault waits for its path; others pass it in the queue.
	f.srv.Inject(emulator.Fault{Path: "/v3/chat", Status: 502})
	f.srv.Inject(emulator.Fault{Path: "/v1/users/me", Status: 504})
	wantAPIError(t, f.me("Bearer "+tok), http.StatusGatewayTimeout, 5000)
	if q := f.srv.Faults(); len(q) != 1 || q[0].Path != "/v3/chat" {
		t.Errorf("queue %+v", q)
	}
	wantAPIError(t, f.do(context.Background(), http.MethodGet, "/v3/chat/retrieve", "", "Bearer "+tok, ""), http.StatusBadGateway, 5000)
}

// TestFaultDropAndLose: Drop closes the connection unanswered and carries
// nothing out; LoseAnswer carries the call out, then closes.
func TestFaultDropAndLose(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.accessToken()
	calls := f.srv.APICalls()
	// POSTs: Go's client would send a GET again on a reused connection.
	f.srv.Inject(emulator.Fault{Path: "/v3/chat", Drop: true})
	if r := f.chatWith("Bearer "+tok, botID); r.err == nil {
		t.Fatalf("a dropped request answered %d", r.status)
	}
	if f.srv.APICalls() != calls {
		t.Error("a dropped call was carried out")
	}
	f.srv.Inject(emulator.Fault{Path: "/v3/chat", LoseAnswer: true})
	if r := f.chatWith("Bearer "+tok, botID); r.err == nil {
		t.Fatalf("a lost answer arrived: %d", r.status)
	}
	if f.srv.APICalls() != calls+1 {
		t.Error("a call whose answer was lost was not carried out")
	}
}

// TestFaultCutsStream: CutAfter ends a streamed chat after that many
// events, without the rest or a clean end.
func TestFaultCutsStream(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	tok := f.accessToken()
	f.srv.Inject(emulator.Fault{Path: "/v3/chat", CutAfter: 3})
	res := postChat(context.Background(), t, f.hs.URL+"/v3/chat", "Bearer "+tok, chatBody(true, "", "user:one two three four"))
	defer res.Body.Close()
	br := bufio.NewReader(res.Body)
	var n int
	var err error
	for {
		if _, err = readEvent(br); err != nil {
			break
		}
		n++
	}
	if n != 3 || errors.Is(err, io.EOF) {
		t.Fatalf("%d events then %v, want 3 then a broken stream", n, err)
	}
	// Spent: the next stream is whole.
	if _, evs := f.streamChat("", "Bearer "+tok, chatBody(true, "", "user:whole")); evs[len(evs)-1].name != "done" {
		t.Errorf("last event %q", evs[len(evs)-1].name)
	}
}

// TestFaultLatencyEndsWithClient: a long latency does not outlive the
// request that waits for it.
func TestFaultLatencyEndsWithClient(t *testing.T) {
	f := newFixture(t, nil)
	tok := f.accessToken()
	f.srv.Inject(emulator.Fault{Path: "/v1/users/me", Latency: emulator.MaxFaultLatency})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if r := f.do(ctx, http.MethodGet, "/v1/users/me", "", "Bearer "+tok, ""); r.err == nil {
		t.Fatalf("answered %d under ten minutes of latency", r.status)
	}
	f.wantMe(tok, app1+"-")
}

// TestFaultsEndpoint drives /_emulator/faults: queue, list, refuse bad
// input with Coze's error shape, bound the queue, clear.
func TestFaultsEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	post := func(body string) response {
		return f.do(context.Background(), http.MethodPost, emulator.FaultsPath, "application/json", "", body)
	}
	r := post(`{"path":"/v3/chat","times":2,"latency_ms":5,"status":429,"retry_after":"1","cut_after":0}`)
	if r.status != http.StatusOK || r.int("queued") != 1 {
		t.Fatalf("queue: %d %s", r.status, r.raw)
	}
	q := f.srv.Faults()
	if len(q) != 1 || q[0].Path != "/v3/chat" || q[0].Times != 2 || q[0].Latency != 5*time.Millisecond || q[0].Status != 429 || q[0].RetryAfter != "1" {
		t.Errorf("queued %+v", q)
	}
	if r := f.do(context.Background(), http.MethodGet, emulator.FaultsPath, "", "", ""); r.status != http.StatusOK || !strings.Contains(string(r.raw), `"latency_ms":5`) {
		t.Errorf("list: %d %s", r.status, r.raw)
	}
	for _, bad := range []string{
		`not json`, `[]`, `{"status":42}`, `{"status":600}`, `{"latency_ms":-1}`, `{"latency_ms":600001}`,
		`{"path":"v3/chat"}`, `{"times":-1}`, `{"cut_after":-2}`, `{"unknown":1}`, `{"status":"429"}`,
		`{} {}`, `{"retry_after":"1\r\nX: y"}`, `{"path":"/` + strings.Repeat("a", 9000) + `"}`,
	} {
		wantAPIError(t, post(bad), http.StatusBadRequest, 4000)
	}
	if n := len(f.srv.Faults()); n != 1 {
		t.Errorf("%d faults after refused input", n)
	}
	r = f.do(context.Background(), http.MethodPut, emulator.FaultsPath, "", "", "")
	wantAPIError(t, r, http.StatusMethodNotAllowed, 4000)
	for range emulator.MaxFaults - 1 {
		f.srv.Inject(emulator.Fault{Path: "/nowhere"})
	}
	wantAPIError(t, post(`{"path":"/v1"}`), http.StatusBadRequest, 4000)
	r = f.do(context.Background(), http.MethodDelete, emulator.FaultsPath, "", "", "")
	if r.status != http.StatusOK || r.int("cleared") != int64(emulator.MaxFaults) || len(f.srv.Faults()) != 0 {
		t.Errorf("clear: %d %s", r.status, r.raw)
	}
}
