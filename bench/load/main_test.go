package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestErrorCode(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":{"code":"mint_rate_limited","message":"x"}}` + "\n": "mint_rate_limited",
		`{"code":4100,"msg":"authentication is invalid"}`:             "",
		`not json`: "",
		``:         "",
	} {
		if got := errorCode([]byte(body)); got != want {
			t.Errorf("errorCode(%q) = %q, want %q", body, got, want)
		}
	}
}

func TestPacer(t *testing.T) {
	start := time.Unix(100, 0)
	p := pacer{start: start, rate: 1000}
	if got := p.at(0); !got.Equal(start) {
		t.Fatalf("at(0) = %v", got)
	}
	if got := p.at(2500).Sub(start); got != 2500*time.Millisecond {
		t.Fatalf("at(2500) = +%v, want 2.5s", got)
	}
	if !(pacer{start: start}).at(7).IsZero() {
		t.Fatal("closed loop should not pace")
	}
}

// TestLoopEndToEnd runs the loop against a local server that checks the
// headers and answers 503 with a cozeauth error for some sessions.
func TestLoopEndToEnd(t *testing.T) {
	var n, badHeader atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("X-Api-Key") != "cza_test" || r.Header.Get("X-User-ID") == "" {
			badHeader.Add(1)
		}
		if r.Header.Get("X-User-ID")[len(r.Header.Get("X-User-ID"))-1]%2 == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":{"code":"mint_rate_limited","message":"slow down"}}`))
			return
		}
		w.Write([]byte(`{"access_token":"czs_x"}`))
	}))
	defer srv.Close()
	c := config{url: srv.URL + "/token", method: "post", conns: 4, n: 200, sessions: "distinct", prefix: "t-", timeout: 5 * time.Second, byStatus: true}
	if err := c.headers.Set("X-API-Key: cza_test"); err != nil {
		t.Fatal(err)
	}
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	res, err := runLoop(&c)
	if err != nil {
		t.Fatal(err)
	}
	if res.Requests != 200 || n.Load() != 200 || badHeader.Load() != 0 {
		t.Fatalf("requests %d, served %d, bad headers %d", res.Requests, n.Load(), badHeader.Load())
	}
	if res.Status["200"] != 100 || res.Status["503"] != 100 || res.Codes["mint_rate_limited"] != 100 || res.Errors != 100 {
		t.Fatalf("status %v codes %v errors %d", res.Status, res.Codes, res.Errors)
	}
	if res.ByStatus["503"].N != 100 || res.ByStatus["200"].N != 100 {
		t.Fatalf("by status %+v", res.ByStatus)
	}
}

// TestPacedRate: 100 requests at 500/s take about 0.2 s, not less.
func TestPacedRate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	c := config{url: srv.URL, method: "GET", conns: 4, n: 100, rate: 500, sessions: "none", timeout: 5 * time.Second}
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res, err := runLoop(&c)
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el < 190*time.Millisecond || res.Requests != 100 || res.Mode != "paced" {
		t.Fatalf("%d requests in %v (mode %s)", res.Requests, el, res.Mode)
	}
}

func TestCheckRefusesNonLoopback(t *testing.T) {
	c := config{url: "http://example.com/token", conns: 1, n: 1, sessions: "hot", timeout: time.Second}
	if err := c.check(); err == nil {
		t.Fatal("non-loopback URL accepted")
	}
}

// TestSessionOverridesHeader: the per-request X-User-ID is set after the
// -header ones, so it wins over an X-User-ID given with -header.
func TestSessionOverridesHeader(t *testing.T) {
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Values("X-User-ID"))
	}))
	defer srv.Close()
	c := config{url: srv.URL, method: "GET", conns: 1, n: 1, sessions: "hot", session: "mine", timeout: 5 * time.Second}
	if err := c.headers.Set("X-User-ID: theirs"); err != nil {
		t.Fatal(err)
	}
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	if _, err := runLoop(&c); err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Load().([]string); len(v) != 1 || v[0] != "mine" {
		t.Fatalf("X-User-ID = %q, want [mine]", v)
	}
}
