package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// FuzzParseTokenRequest feeds arbitrary bodies, session headers and query
// strings to the request parser: it must never panic, and whatever it
// accepts must be a valid request.
func FuzzParseTokenRequest(f *testing.F) {
	f.Add("", "alice", "")
	f.Add(`{"app":"a","session_name":"s","duration_seconds":900}`, "", "")
	f.Add(`{"scope":{"account_permission":{"permission_list":["Connector.botChat"]}}}`, "", "")
	f.Add(`{"session_context":{"device_info":{"device_id":"d"}}}`, "x\x00y", "")
	f.Add(`{"duration_seconds":1e3}`, "", "duration_seconds=5")
	f.Add(`[]`, "", "app=x&session_name=%00")
	f.Fuzz(func(t *testing.T, body, user, query string) {
		method := "POST"
		if query != "" {
			method = "GET"
		}
		req := httptest.NewRequest(method, "/token", strings.NewReader(body))
		req.URL.RawQuery = query
		if user != "" {
			req.Header["X-User-ID"] = []string{user}
		}
		in, _, perr := parseTokenRequest(httptest.NewRecorder(), req)
		if perr != nil {
			if perr.status < 400 || perr.status > 499 {
				t.Fatalf("bad input answered %d", perr.status)
			}
			if perr.msg == "" || strings.Contains(perr.msg, user) && len(user) > 8 {
				t.Fatalf("error %q is empty or echoes the input", perr.msg)
			}
			return
		}
		if in.SessionGiven {
			if err := config.ValidSessionName(in.Session); err != nil {
				t.Fatalf("accepted session %q: %v", in.Session, err)
			}
		}
		if in.Duration != 0 && (in.Duration < 1 || in.Duration > 86399) {
			t.Fatalf("accepted duration %d", in.Duration)
		}
	})
}
