package main

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	start := time.Unix(100, 0)
	for k, want := range map[int64]time.Duration{0: 0, 1: time.Millisecond, 1000: time.Second, 2500: 2500 * time.Millisecond} {
		if got := due(start, 1000, k).Sub(start); got != want {
			t.Errorf("due(k=%d) = +%v, want +%v", k, got, want)
		}
	}
}

func TestSummarize(t *testing.T) {
	var a, b tally
	for i := range 100 {
		a.hist.Record(time.Duration(100+i) * time.Microsecond)
		b.hist.Record(time.Duration(400+i) * time.Microsecond)
	}
	b.fail(http.ErrHandlerTimeout)
	r := summarize(&a, &b)
	if r.ARequests != 100 || r.BRequests != 101 || r.BErrors != 1 || r.AErrors != 0 {
		t.Fatalf("counts %+v", r)
	}
	if r.AddedP50 < 0.29 || r.AddedP50 > 0.31 || r.AddedP99 < 0.29 || r.AddedP99 > 0.31 {
		t.Fatalf("added p50 %v p99 %v, want about 0.3", r.AddedP50, r.AddedP99)
	}
	if r.FirstErr == "" {
		t.Fatal("first error lost")
	}
}

// TestRunInterleaves checks that A and B get alternate requests, each with
// its own headers.
func TestRunInterleaves(t *testing.T) {
	var seenA, seenB, bad atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/a", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Side") != "a" {
			bad.Add(1)
		}
		seenA.Add(1)
	})
	mux.HandleFunc("/b", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Side") != "b" {
			bad.Add(1)
		}
		seenB.Add(1)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := config{method: http.MethodGet, conns: 2, rate: 200, dur: 100 * time.Millisecond, timeout: 5 * time.Second}
	c.a.url, c.b.url = srv.URL+"/a", srv.URL+"/b"
	_ = c.a.headers.Set("X-Side: a")
	_ = c.b.headers.Set("X-Side: b")
	if err := c.check(); err != nil {
		t.Fatal(err)
	}
	c.a.client, c.b.client = srv.Client(), srv.Client()
	a, b := run(&c, c.dur)
	if bad.Load() != 0 || a.errors+b.errors != 0 {
		t.Fatalf("%d requests with the wrong headers, %d errors (%s%s)", bad.Load(), a.errors+b.errors, a.firstErr, b.firstErr)
	}
	if seenA.Load() != a.hist.Count() || seenB.Load() != b.hist.Count() {
		t.Fatalf("server saw %d/%d, client timed %d/%d", seenA.Load(), seenB.Load(), a.hist.Count(), b.hist.Count())
	}
	if n := a.hist.Count() - b.hist.Count(); n < 0 || n > 1 || a.hist.Count() < 5 {
		t.Fatalf("A %d, B %d requests: not interleaved", a.hist.Count(), b.hist.Count())
	}
}
