package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// FuzzFaultRequest posts arbitrary bodies to /_emulator/faults: never a
// panic, a 200 only with a valid fault queued, otherwise a 400 in Coze's
// error shape with nothing queued, and the queue never past MaxFaults.
func FuzzFaultRequest(f *testing.F) {
	for _, seed := range []string{
		`{"path":"/v3/chat","times":2,"latency_ms":5,"status":429,"retry_after":"1"}`,
		`{"path":"/","drop":true}`,
		`{"lose_answer":true,"cut_after":3}`,
		`{"status":42}`, `{"latency_ms":-1}`, `{"path":"v3"}`, `[]`, `null`, `{"a":1}`, `{} {}`,
	} {
		f.Add(seed)
	}
	s := New(Options{})
	f.Fuzz(func(t *testing.T, body string) {
		before := len(s.Faults())
		if before >= MaxFaults-1 {
			s.ClearFaults()
			before = 0
		}
		w := httptest.NewRecorder()
		w.Header().Set("X-Tt-Logid", "L")
		s.serveFaults(w, httptest.NewRequest(http.MethodPost, FaultsPath, strings.NewReader(body)))
		after := s.Faults()
		switch w.Code {
		case http.StatusOK:
			if len(after) != before+1 {
				t.Fatalf("200 with %d faults queued, was %d", len(after), before)
			}
			if why := after[len(after)-1].check(); why != "" || after[len(after)-1].Times < 1 {
				t.Fatalf("an invalid fault queued: %s %+v", why, after[len(after)-1])
			}
		case http.StatusBadRequest:
			var e struct {
				Code   int               `json:"code"`
				Msg    string            `json:"msg"`
				Detail map[string]string `json:"detail"`
			}
			if json.Unmarshal(w.Body.Bytes(), &e) != nil || e.Code != 4000 || e.Msg == "" || e.Detail["logid"] != "L" {
				t.Fatalf("refusal %s", w.Body)
			}
			if len(after) != before {
				t.Fatalf("a refused request changed the queue: %d -> %d", before, len(after))
			}
		default:
			t.Fatalf("status %d", w.Code)
		}
	})
}
