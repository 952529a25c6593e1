package server

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
)

type readyAnswer struct {
	Status string              `json:"status"`
	Config *string             `json:"config"`
	Apps   map[string]appReady `json:"apps"`
}

// TestReadyzDetailsNeedLocalCallerOrAdmin: without credentials /readyz
// tells anyone only ready/not_ready per app; URLs, the config source and
// last errors go to a caller on this machine or to an admin client.
func TestReadyzDetailsNeedLocalCallerOrAdmin(t *testing.T) {
	f := newEdgeFixture(t, false, func(a *config.Access) { a.AdminClients = []string{"alpha"} })
	k := f.keys
	// Make app "bad" fail, so there is an error to hide.
	if _, _, err := f.b.Token(t.Context(), broker.Request{App: "bad", Session: "s", Duration: 900}); err == nil {
		t.Fatal("app bad minted")
	}
	summary := func(name string, status int, body []byte) {
		t.Helper()
		if status != 200 {
			t.Fatalf("%s: status %d: %s", name, status, body)
		}
		r := decode[readyAnswer](t, body)
		if r.Status != "ready" || r.Config != nil || r.Apps["good"].Status != "ready" || r.Apps["bad"].Status != "not_ready" {
			t.Fatalf("%s: %s", name, body)
		}
		for _, leak := range []string{f.coze.URL, "127.0.0.1", "invalid_client", "api_base", "last_error", "region"} {
			if strings.Contains(string(body), leak) {
				t.Fatalf("%s: summary reveals %q: %s", name, leak, body)
			}
		}
	}
	detail := func(name string, status int, body []byte) {
		t.Helper()
		r := decode[readyAnswer](t, body)
		if status != 200 || r.Config == nil || r.Apps["good"].APIBase != f.coze.URL || !strings.Contains(r.Apps["bad"].LastError, "invalid_client") {
			t.Fatalf("%s: no details: %d %s", name, status, body)
		}
	}
	status, _, body := f.send(t, "GET", "/readyz", "", "", nil)
	detail("local caller", status, body)
	status, _, body = f.send(t, "GET", "/readyz", "", "localhost:9", nil)
	detail("local caller by name", status, body)
	status, _, body = f.send(t, "GET", "/readyz", "", "evil.example", nil)
	summary("rebinding page on this machine", status, body)
	status, _, body = f.send(t, "GET", "/readyz", "", "", hdr("X-Forwarded-For", "198.51.100.7"))
	summary("relayed by a proxy on this machine", status, body)
	status, _, body = f.send(t, "GET", "/readyz", "", "", hdr("Forwarded", "for=198.51.100.7"))
	summary("relayed (Forwarded)", status, body)
	status, _, body = f.send(t, "GET", "/readyz", "", "evil.example", hdr("X-API-Key", k.alpha))
	detail("admin client", status, body)
	status, _, body = f.send(t, "GET", "/readyz", "", "evil.example", hdr("X-API-Key", k.beta))
	if status != 403 || errCode(t, body) != "not_admin" || !strings.Contains(string(body), "admin_clients") {
		t.Fatalf("non-admin client: %d %s", status, body)
	}
	status, _, body = f.send(t, "GET", "/readyz", "", "", hdr("X-API-Key", k.alpha+"x"))
	if status != 401 || errCode(t, body) != "invalid_client_key" {
		t.Fatalf("wrong key: %d %s", status, body)
	}
	status, _, body = f.send(t, "GET", "/readyz", "", "", hdr("X-API-Key", k.alpha, "Authorization", "Bearer "+k.alpha))
	if status != 400 || errCode(t, body) != "ambiguous_credentials" {
		t.Fatalf("two keys: %d %s", status, body)
	}
	if a := f.audit.String(); !strings.Contains(a, "code=not_admin status=403 client=beta") || !strings.Contains(a, "code=invalid_client_key") {
		t.Fatalf("readyz refusals not audited:\n%s", a)
	}
}

// TestReadyzLoopbackMeansThePeer: with trust_proxy, an X-Forwarded-For
// claim of 127.0.0.1 from a remote peer is not a local caller.
func TestReadyzLoopbackMeansThePeer(t *testing.T) {
	f := newEdgeFixture(t, false, func(a *config.Access) { a.TrustProxy = true })
	req := httptest.NewRequest("GET", "/readyz", nil)
	req.RemoteAddr, req.Host = "203.0.113.5:4444", "localhost"
	req.Header.Set("X-Forwarded-For", "127.0.0.1")
	rec := httptest.NewRecorder()
	f.server.ServeHTTP(rec, req)
	var r readyAnswer
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil || rec.Code != 200 || r.Config != nil || strings.Contains(rec.Body.String(), "api_base") {
		t.Fatalf("a forwarded loopback claim got details: %d %s", rec.Code, rec.Body)
	}
	// Without the header, a remote peer naming localhost gets no details either.
	req.Header.Del("X-Forwarded-For")
	rec = httptest.NewRecorder()
	f.server.ServeHTTP(rec, req)
	if strings.Contains(rec.Body.String(), "api_base") {
		t.Fatalf("a remote peer got details: %s", rec.Body)
	}
}
