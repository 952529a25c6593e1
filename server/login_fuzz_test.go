package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
)

// fuzzState is a login state the fuzz target plants in the table, bound
// to the browser nonce fuzzNonce, so the fuzzer can reach the code
// exchange.
const (
	fuzzState = "fuzz-known-state-0123456789abcdefghijklmnopq"
	fuzzNonce = "fuzz-nonce-0123456789abcdefghijklmnopqrstuvw"
)

// FuzzLoginCallback feeds arbitrary queries and login cookies to GET
// /oauth/callback: it never panics, always answers a page with a 4xx or
// 5xx status, and never stores a grant (no code the fuzzer can make is one
// Coze issued for a valid state).
func FuzzLoginCallback(f *testing.F) {
	lf := loginFixture(f, nil)
	f.Add("state="+fuzzState+"&code=abc", fuzzNonce)
	f.Add("state="+fuzzState+"&error=access_denied&error_description=no", fuzzNonce)
	f.Add("state="+fuzzState+"&error=server_error", fuzzNonce)
	f.Add("state="+fuzzState+"&code=", fuzzNonce)
	f.Add("state="+fuzzState+"&code=abc", "other")
	f.Add("state="+fuzzState+"&state=x&code=abc", fuzzNonce)
	f.Add("state=%zz&code=%00", "")
	f.Add("code=abc", "")
	f.Add(";;&&==", "\x00")
	f.Fuzz(func(t *testing.T, query, cookie string) {
		tab := lf.server.logins.(*loginTable)
		tab.mu.Lock()
		tab.states[fuzzState] = &loginState{link: connectLink{req: requestFor("web", "fuzz")}, nonce: fuzzNonce,
			redirectURI: lf.srv.URL + LoginCallbackPath, expires: time.Now().Add(time.Minute)}
		tab.mu.Unlock()
		r := httptest.NewRequest("GET", LoginCallbackPath, nil)
		r.URL.RawQuery = query
		if cookie != "" {
			r.Header.Set("Cookie", loginCookieName(fuzzState)+"="+cookie)
		}
		w := httptest.NewRecorder()
		lf.server.ServeHTTP(w, r)
		if w.Code < 400 || w.Code == http.StatusInternalServerError {
			t.Fatalf("callback ?%q answered %d", query, w.Code)
		}
		if ms, _ := lf.store.List(t.Context(), ""); len(ms) != 0 {
			t.Fatalf("callback ?%q stored a grant", query)
		}
	})
}

// requestFor is the broker request of a login for app and subject.
func requestFor(app, subject string) broker.Request {
	return broker.Request{App: app, Session: subject}
}
