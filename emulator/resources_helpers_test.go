package emulator_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

const (
	resPAT  = "pat_resources_test"
	resUser = "7310000000000000042"
	resAuth = "Bearer " + resPAT
)

// newResFixture is an emulator without stream delays and with a PAT for
// resUser.
func newResFixture(t *testing.T) *fixture {
	t.Helper()
	f := newFixture(t, noDelay)
	f.srv.AddPAT(resPAT, resUser)
	return f
}

// apiGet and send call a resource endpoint with the test PAT.
func (f *fixture) apiGet(path string) response {
	f.t.Helper()
	return f.do(context.Background(), http.MethodGet, path, "", resAuth, "")
}

func (f *fixture) send(method, path, body string) response {
	f.t.Helper()
	return f.do(context.Background(), method, path, "application/json", resAuth, body)
}

// wantData checks Coze's success envelope and returns its data.
func wantData(t *testing.T, r response) map[string]any {
	t.Helper()
	wantSuccess(t, r)
	d, ok := r.body["data"].(map[string]any)
	if !ok {
		t.Fatalf("data is not an object: %s", r.raw)
	}
	return d
}

// wantSuccess checks {"code":0,"msg":"","detail":{"logid":<X-Tt-Logid>}}.
func wantSuccess(t *testing.T, r response) {
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
}

// list returns the array under key of an object.
func list(t *testing.T, m map[string]any, key string) []map[string]any {
	t.Helper()
	raw, ok := m[key].([]any)
	if !ok {
		t.Fatalf("%s is not an array: %v", key, m[key])
	}
	out := make([]map[string]any, len(raw))
	for i, x := range raw {
		out[i], _ = x.(map[string]any)
	}
	return out
}

func num64(t *testing.T, v any) int64 {
	t.Helper()
	n, ok := v.(json.Number)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	i, err := n.Int64()
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// wfEvent is one workflow server-sent event: "id:<n>", "event:<name>",
// "data:<json>", blank line.
type wfEvent struct {
	id   int
	name string
	data map[string]any
}

// streamWorkflow posts body to path and reads every workflow event.
func (f *fixture) streamWorkflow(path, body string) []wfEvent {
	f.t.Helper()
	res := postChat(context.Background(), f.t, f.hs.URL+path, resAuth, body)
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); res.StatusCode != http.StatusOK || ct != "text/event-stream" {
		b, _ := io.ReadAll(res.Body)
		f.t.Fatalf("%s: %d %s %s", path, res.StatusCode, ct, b)
	}
	br := bufio.NewReader(res.Body)
	var evs []wfEvent
	for {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			return evs
		}
		var e wfEvent
		if _, err := fmt.Sscanf(line, "id:%d\n", &e.id); err != nil {
			f.t.Fatalf("event %d: want an id: line, got %q", len(evs), line)
		}
		ev, _ := br.ReadString('\n')
		data, _ := br.ReadString('\n')
		blank, _ := br.ReadString('\n')
		name, ok1 := strings.CutPrefix(strings.TrimSuffix(ev, "\n"), "event:")
		raw, ok2 := strings.CutPrefix(strings.TrimSuffix(data, "\n"), "data:")
		if !ok1 || !ok2 || blank != "\n" {
			f.t.Fatalf("event %d: bad framing %q %q %q", len(evs), ev, data, blank)
		}
		e.name = name
		if err := json.Unmarshal([]byte(raw), &e.data); err != nil {
			f.t.Fatalf("event %s: data %q: %v", name, raw, err)
		}
		evs = append(evs, e)
	}
}

func eventNamesOf(evs []wfEvent) string {
	var names []string
	for _, e := range evs {
		names = append(names, e.name)
	}
	return strings.Join(names, ",")
}

// streamChatAt posts a streamed chat to path and reads every event.
func (f *fixture) streamChatAt(path, body string) (*http.Response, []sseEvent) {
	f.t.Helper()
	res := postChat(context.Background(), f.t, f.hs.URL+path, resAuth, body)
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
