package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// TestOpenModeRefusesDNSRebinding: a page on evil.example that rebinds its
// name to 127.0.0.1 reaches the developer's open-mode cozeauth with its
// own Host and Origin; it must get no token, and no CORS answer to read.
func TestOpenModeRefusesDNSRebinding(t *testing.T) {
	f := newEdgeFixture(t, true, nil)
	cases := []struct {
		name, method, path, host string
		h                        []string
		code                     string
	}{
		// A text/plain POST needs no preflight: the Host check stops it.
		{"simple POST", "POST", "/token", "evil.example:8080", []string{"Content-Type", "text/plain", "Origin", "http://evil.example:8080"}, "host_not_allowed"},
		{"no Origin at all", "POST", "/token", "evil.example", nil, "host_not_allowed"},
		{"gateway", "GET", "/v1/users/me", "evil.example", nil, "host_not_allowed"},
		{"callback", "GET", "/callback", "evil.example", nil, "host_not_allowed"},
		{"preflight", "OPTIONS", "/token", "evil.example", []string{"Origin", "http://evil.example", "Access-Control-Request-Method", "POST"}, "host_not_allowed"},
		{"look-alike name", "POST", "/token", "localhost.evil.example", nil, "host_not_allowed"},
		{"loopback-looking name", "POST", "/token", "127.0.0.1.nip.io", nil, "host_not_allowed"},
		// Even with a loopback Host, a foreign page may not read tokens.
		{"foreign Origin", "POST", "/token", "", []string{"Origin", "http://evil.example"}, "origin_not_allowed"},
		{"foreign Origin, preflight", "OPTIONS", "/token", "", []string{"Origin", "http://evil.example", "Access-Control-Request-Method", "POST"}, "origin_not_allowed"},
		{"null Origin", "POST", "/token", "", []string{"Origin", "null"}, "origin_not_allowed"},
		{"https look-alike Origin", "POST", "/token", "", []string{"Origin", "https://localhost.evil.example"}, "origin_not_allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := f.send(t, tc.method, tc.path, "hello", tc.host, hdr(tc.h...))
			if status != 403 || errCode(t, body) != tc.code {
				t.Fatalf("status %d: %s", status, body)
			}
			if h.Get("Access-Control-Allow-Origin") != "" || strings.Contains(string(body), "access_token") || f.emu.Requests() != 0 {
				t.Fatal("a rebinding page got an answer it can read, or a token was minted")
			}
			if tc.code == "host_not_allowed" && !strings.Contains(string(body), "allowed_hosts") {
				t.Fatalf("the refusal does not say how to allow the name: %s", body)
			}
		})
	}
	if a := f.audit.String(); strings.Count(a, "msg=denied") != len(cases) {
		t.Fatalf("refusals not audited:\n%s", a)
	}
}

// TestOpenModeServesLocalPages: pages on this machine (a dev server on
// localhost:5173 and the like) work from the browser, preflight included.
func TestOpenModeServesLocalPages(t *testing.T) {
	f := newEdgeFixture(t, true, nil)
	for _, origin := range []string{"http://localhost:5173", "http://127.0.0.1:3000", "http://[::1]:8080", "http://localhost"} {
		status, h, body := f.send(t, "OPTIONS", "/token", "", "localhost:8080",
			hdr("Origin", origin, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"))
		if status != 204 || h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") {
			t.Fatalf("preflight from %s: %d %v %s", origin, status, h, body)
		}
		status, h, body = f.send(t, "POST", "/token", `{"session_name":"dev"}`, "localhost:8080", hdr("Origin", origin, "Content-Type", "application/json"))
		if status != 200 || h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Fatalf("POST from %s: %d %v %s", origin, status, h, body)
		}
	}
	for _, host := range []string{"127.0.0.1:1", "127.9.9.9", "[::1]:8080", "LOCALHOST:80", "localhost."} {
		if status, _, body := f.send(t, "POST", "/token", "", host, nil); status != 200 {
			t.Fatalf("Host %s: %d %s", host, status, body)
		}
	}
}

// TestOpenModeRefusesCrossSiteRequests: a page on another site needs no
// rebinding to make the browser connect to 127.0.0.1: a WebSocket (no
// CORS applies) or an <img> GET (no Origin) would act with the gateway's
// full-permission token. Both are refused; programs and local pages pass.
func TestOpenModeRefusesCrossSiteRequests(t *testing.T) {
	f := newEdgeFixture(t, true, nil)
	cases := []struct {
		name string
		h    []string
		code string
	}{
		{"cross-site WebSocket", []string{"Connection", "Upgrade", "Upgrade", "websocket", "Sec-WebSocket-Version", "13",
			"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==", "Origin", "http://evil.example"}, "origin_not_allowed"},
		{"image GET", []string{"Sec-Fetch-Site", "cross-site", "Sec-Fetch-Dest", "image"}, "cross_site_not_allowed"},
	}
	for _, tc := range cases {
		status, _, body := f.send(t, "GET", "/v1/users/me", "", "", hdr(tc.h...))
		if status != 403 || errCode(t, body) != tc.code || f.emu.Requests() != 0 {
			t.Fatalf("%s: %d %s", tc.name, status, body)
		}
	}
	for _, site := range []string{"", "none", "same-origin"} {
		if status, _, body := f.send(t, "GET", "/v1/users/me", "", "", hdr("Sec-Fetch-Site", site)); status != 200 {
			t.Fatalf("Sec-Fetch-Site %q: %d %s", site, status, body)
		}
	}
	// A local page on another port is cross-site to the browser, but has a loopback Origin.
	if status, _, body := f.send(t, "GET", "/v1/users/me", "", "", hdr("Sec-Fetch-Site", "cross-site", "Origin", "http://localhost:5173")); status != 200 {
		t.Fatalf("local page: %d %s", status, body)
	}
}

func TestAllowedHostsWidenOpenMode(t *testing.T) {
	f := newEdgeFixture(t, true, func(a *config.Access) { a.AllowedHosts = []string{"dev.test"} })
	if status, _, body := f.send(t, "POST", "/token", "", "dev.test:8080", nil); status != 200 {
		t.Fatalf("listed host: %d %s", status, body)
	}
	if status, _, _ := f.send(t, "POST", "/token", "", "evil.example", nil); status != 403 {
		t.Fatalf("unlisted host: %d", status)
	}
}

// TestHostCheckWithPolicies: with policies the Host is not checked unless
// allowed_hosts lists names; then only those and loopback names answer.
func TestHostCheckWithPolicies(t *testing.T) {
	f := newEdgeFixture(t, false, nil)
	if status, _, body := f.send(t, "POST", "/token", "", "auth.example.com", hdr("X-API-Key", f.keys.alpha)); status != 200 {
		t.Fatalf("no allowed_hosts: %d %s", status, body)
	}
	f = newEdgeFixture(t, false, func(a *config.Access) { a.AllowedHosts = []string{"auth.example.com"} })
	for host, want := range map[string]int{"auth.example.com": 200, "AUTH.example.com:443": 200, "localhost:8080": 200, "other.example": 403} {
		status, _, body := f.send(t, "POST", "/token", "", host, hdr("X-API-Key", f.keys.alpha))
		if status != want {
			t.Fatalf("Host %s: %d, want %d: %s", host, status, want, body)
		}
	}
}

func TestLoopbackOrigin(t *testing.T) {
	for o, want := range map[string]bool{
		"http://localhost:5173": true, "https://localhost": true, "http://127.0.0.1:3000": true, "http://[::1]:8080": true,
		"http://127.1.2.3": true, "http://evil.example": false, "null": false, "": false, "file://": false,
		"http://localhost:5173/path": false, "http://user@localhost": false, "http://localhost:99999": false,
		"http://[::ffff:127.0.0.1]": true, "http://0.0.0.0": false, "ws://localhost": false,
	} {
		if got := loopbackOrigin(o); got != want {
			t.Errorf("loopbackOrigin(%q) = %v, want %v", o, got, want)
		}
	}
}

// The Host last found known is remembered per generation; an unknown Host
// after it is still refused, and the remembered one passes again.
func TestKnownHostRemembered(t *testing.T) {
	f := newFixture(t)
	s := mustNew(t, f.cfg, f.b, Options{})
	for i, c := range []struct {
		host string
		want int
	}{{"localhost:8080", 200}, {"evil.example", 403}, {"evil.example", 403}, {"localhost:8080", 200}, {"127.0.0.1:8080", 200}, {"localhost.evil.example", 403}, {"localhost:8080", 200}} {
		req := httptest.NewRequest("POST", "/token", nil)
		req.Host = c.host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != c.want {
			t.Fatalf("request %d, Host %q: status %d, want %d", i, c.host, rec.Code, c.want)
		}
	}
}
