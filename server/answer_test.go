package server

import (
	"net/http"
	"testing"
	"time"
)

// A token answer carries a Date header for the second it was made, as
// net/http would have written it; within one second every answer shares
// one formatted value.
func TestTokenAnswerDate(t *testing.T) {
	f := newFixture(t)
	before := time.Now().Truncate(time.Second)
	resp, err := http.Post(f.srv.URL+"/token", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	after := time.Now()
	vs := resp.Header.Values("Date")
	if len(vs) != 1 {
		t.Fatalf("Date header %q: want exactly one", vs)
	}
	d, err := http.ParseTime(vs[0])
	if err != nil || d.Before(before) || d.After(after) || vs[0] != d.UTC().Format(http.TimeFormat) {
		t.Fatalf("Date %q (%v): want the answer's second, between %v and %v, in http.TimeFormat", vs[0], err, before, after)
	}

	var dh dateHeader
	now := time.Date(2026, 12, 1, 10, 0, 0, 100, time.FixedZone("X", 3600))
	a, b := dh.at(now), dh.at(now.Add(900*time.Millisecond))
	if &a[0] != &b[0] || a[0] != "Tue, 01 Dec 2026 09:00:00 GMT" {
		t.Fatalf("one second: %q and %q, want one shared GMT value", a, b)
	}
	if c := dh.at(now.Add(time.Second)); c[0] != "Tue, 01 Dec 2026 09:00:01 GMT" {
		t.Fatalf("next second: %q", c)
	}
}
