package server

import (
	"strings"
	"testing"
)

func TestMethodNotAllowedSaysAllow(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct{ method, path, allow string }{
		{"GET", "/token", "POST, OPTIONS"},
		{"PUT", "/token", "POST, OPTIONS"},
		{"POST", "/healthz", "GET, HEAD"},
		{"DELETE", "/readyz", "GET, HEAD"},
		{"GET", "/connect", "POST"},
		{"POST", "/callback", "GET, HEAD, OPTIONS"},
		{"PUT", AdminGrantsPath, "GET, HEAD, DELETE"},
	} {
		status, hdr, body := f.do(t, tt.method, tt.path, "", nil)
		if status != 405 || hdr.Get("Allow") != tt.allow || hdr.Get(ErrorHeader) != "method_not_allowed" || !strings.Contains(string(body), tt.allow) {
			t.Errorf("%s %s: %d Allow %q %s; want 405 Allow %q", tt.method, tt.path, status, hdr.Get("Allow"), body, tt.allow)
		}
	}
}

func TestNotFoundNamesTheGateway(t *testing.T) {
	f := newFixture(t)
	status, hdr, body := f.do(t, "GET", "/v2/secret", "", nil)
	if status != 404 || hdr.Get(ErrorHeader) != "not_found" || hdr.Get("Allow") != "" {
		t.Fatalf("%d %v %s", status, hdr, body)
	}
	for _, want := range []string{"/v2/secret", "POST /token", "gateway", "/v1/", "/v3/", "/open_api/", "/healthz"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("404 text lacks %q: %s", want, body)
		}
	}
	// Under a gateway prefix, the text names it.
	g := newFixture(t)
	g.cfg.GatewayPrefix = "/coze"
	s := mustNew(t, g.cfg, g.b, Options{})
	rec := recorder(s, "GET", "/nothing")
	if rec.Code != 404 || !strings.Contains(rec.Body.String(), "/coze/v1/") {
		t.Errorf("with gateway_prefix /coze: %d %s", rec.Code, rec.Body)
	}
}
