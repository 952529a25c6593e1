package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()

	if out, errOut, code := cli(t, "", "healthcheck", "--url", srv.URL+"/healthz"); code != 0 || !strings.Contains(out, "healthy") {
		t.Errorf("healthy server: exit %d, %q %q", code, out, errOut)
	}
	status = http.StatusServiceUnavailable
	if _, errOut, code := cli(t, "", "healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(errOut, "HTTP 503") {
		t.Errorf("unhealthy server: exit %d, %q", code, errOut)
	}
	srv.Close()
	if _, errOut, code := cli(t, "", "healthcheck", "--url", srv.URL+"/healthz"); code != 1 || !strings.Contains(errOut, "did not answer") {
		t.Errorf("no server: exit %d, %q", code, errOut)
	}
	if _, errOut, code := cli(t, "", "healthcheck", "--url", "ftp://x"); code != 1 || !strings.Contains(errOut, "not an http(s) URL") {
		t.Errorf("bad URL: exit %d, %q", code, errOut)
	}
}

// A TLS listener on loopback is checked without verifying its names.
func TestHealthcheckTLSLoopback(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	t.Setenv("COZEAUTH_HEALTHCHECK_URL", srv.URL+"/healthz")
	if _, errOut, code := cli(t, "", "healthcheck"); code != 0 {
		t.Errorf("https on loopback via $COZEAUTH_HEALTHCHECK_URL: exit %d, %q", code, errOut)
	}
}
