package server

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
)

func TestCozeRefusalIsPassedOnAndNotCached(t *testing.T) {
	f := newFixture(t)
	status, _, body := f.do(t, "POST", "/token", `{"app":"bad"}`, nil)
	if status != http.StatusBadGateway {
		t.Fatalf("status %d, want 502: %s", status, body)
	}
	e := decode[errAnswer](t, body).Error
	if e.Code != "coze_refused" || e.CozeErrorCode != "invalid_client" || e.CozeLogID == "" ||
		!strings.Contains(e.Message, "kid not been registred") {
		t.Fatalf("error %+v: want Coze's code, message and log id", e)
	}
	reqs := f.emu.Requests()
	for range 20 {
		if s, _, _ := f.do(t, "POST", "/token", `{"app":"bad"}`, nil); s != http.StatusBadGateway {
			t.Fatalf("repeat status %d", s)
		}
	}
	if f.emu.Requests() != reqs {
		t.Fatalf("a failing app stampeded Coze: %d more requests", f.emu.Requests()-reqs)
	}
	// One failing app does not stop the other.
	if s, _, b := f.do(t, "POST", "/token", "", nil); s != 200 {
		t.Fatalf("good app status %d: %s", s, b)
	}
	_, _, ready := f.do(t, "GET", "/readyz", "", nil)
	r := decode[struct {
		Status string              `json:"status"`
		Apps   map[string]appReady `json:"apps"`
	}](t, ready)
	if r.Status != "ready" || r.Apps["good"].LastMint == nil || !strings.Contains(r.Apps["bad"].LastError, "invalid_client") {
		t.Fatalf("readyz = %s", ready)
	}
}

func TestUpstreamUnavailable(t *testing.T) {
	cases := []struct {
		name   string
		fault  emulator.Fault
		status int
		code   string
		retry  string
	}{
		{"5xx", emulator.Fault{Times: 5, Status: 500}, 503, "upstream_unavailable", ""},
		{"429 with Retry-After", emulator.Fault{Times: 5, Status: 429, RetryAfter: "30"}, 503, "upstream_unavailable", "30"},
		{"dropped connections", emulator.Fault{Times: 5, Drop: true}, 503, "upstream_unreachable", ""},
		{"too slow", emulator.Fault{Times: 5, Latency: 3 * time.Second}, 504, "upstream_timeout", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			f.client.Timeout = time.Second // "too slow" is 3 s of latency
			f.emu.Inject(tc.fault)
			status, hdr, body := f.do(t, "POST", "/token", "", nil)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if e := decode[errAnswer](t, body).Error; e.Code != tc.code {
				t.Fatalf("code %q, want %q", e.Code, tc.code)
			}
			if hdr.Get("Retry-After") != tc.retry {
				t.Fatalf("Retry-After %q, want %q", hdr.Get("Retry-After"), tc.retry)
			}
			f.emu.ClearFaults()
		})
	}
}

func TestUnreachableHost(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	key := testKey()
	cfg := &config.Config{DefaultSession: "d", DefaultApp: "a", Apps: []config.App{{Name: "a", Kind: config.KindJWT, ClientID: "1", JWT: &config.JWTApp{KeyID: "k", Key: key},
		APIBase: "http://" + addr, Audience: "api.coze.cn", Duration: 900}}}
	a := &cfg.Apps[0]
	client := &coze.Client{Retry: coze.Backoff{Attempts: 2, Base: time.Millisecond}}
	b := broker.New(map[string]broker.Source{"a": &credential.JWT{Client: client, Signer: a.Signer(), TokenURL: a.TokenURL()}}, broker.Options{})
	defer b.Close()
	rec := recorder(mustNew(t, cfg, b, Options{}), "POST", "/token")
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "upstream_unreachable") {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
}

func TestGracefulShutdownFinishesInFlight(t *testing.T) {
	f := newFixture(t)
	f.emu.Inject(emulator.Fault{Latency: 300 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := mustNew(t, f.cfg, f.b, Options{})
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln, 5*time.Second) }()
	got := make(chan int, 1)
	go func() {
		resp, err := http.Post("http://"+ln.Addr().String()+"/token", "", nil)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	for f.emu.Requests() == 0 { // the request is now waiting on Coze
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if code := <-got; code != 200 {
		t.Fatalf("in-flight request got %d during shutdown, want 200", code)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := http.Post("http://"+ln.Addr().String()+"/token", "", nil); err == nil {
		t.Fatal("server still accepts after shutdown")
	}
}
