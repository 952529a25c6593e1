package server

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAdminRevokesAGrant: a local caller lists the grants of a running
// server and revokes one; the user's cached token goes with it, so the
// next request answers needs_login rather than serving the old token.
func TestAdminRevokesAGrant(t *testing.T) {
	f, _ := kindsFixture(t)
	if st, _, body := f.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"X-User-ID": "alice"}); st != 200 {
		t.Fatalf("alice's token: %d %s", st, body)
	}
	st, _, body := f.do(t, "GET", AdminGrantsPath, "", nil)
	if st != 200 || !strings.Contains(string(body), `"subject":"alice"`) || strings.Contains(string(body), "refresh_token") || strings.Contains(string(body), "RefreshToken") {
		t.Fatalf("list: %d %s", st, body)
	}
	if st, _, body := f.do(t, "DELETE", AdminGrantsPath+"?app=web&subject=alice", "", nil); st != 204 {
		t.Fatalf("revoke: %d %s", st, body)
	}
	if st, _, body := f.do(t, "POST", "/token", `{"app":"web"}`, map[string]string{"X-User-ID": "alice"}); st != 403 || !strings.Contains(string(body), "needs_login") {
		t.Fatalf("after the revocation: %d %s", st, body)
	}
	if st, _, _ := f.do(t, "DELETE", AdminGrantsPath+"?app=web&subject=alice", "", nil); st != 404 {
		t.Fatalf("revoking twice: %d", st)
	}
	// A caller from elsewhere is refused.
	req := httptest.NewRequest("GET", AdminGrantsPath, nil)
	req.RemoteAddr, req.Host = "10.0.0.9:5555", "localhost"
	rec := httptest.NewRecorder()
	f.server.ServeHTTP(rec, req)
	if rec.Code != 403 || strings.Contains(rec.Body.String(), "alice") {
		t.Fatalf("remote caller: %d %s", rec.Code, rec.Body)
	}
}
