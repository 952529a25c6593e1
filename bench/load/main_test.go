package main

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestBucketRoundTrip(t *testing.T) {
	for v := uint64(0); v < 1<<22; v += 1 + v/1000 {
		i := bucketOf(v)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%d) = %d out of range", v, i)
		}
		mid := bucketMid(i)
		if diff := float64(mid) - float64(v); diff > 0.01*float64(v)+1 || -diff > 0.01*float64(v)+1 {
			t.Fatalf("v=%d bucket %d mid %d: error over 1%%", v, i, mid)
		}
		if i > 0 && bucketOf(v) < bucketOf(v-1) {
			t.Fatalf("bucketOf not monotonic at %d", v)
		}
	}
	if i := bucketOf(1 << 62); i != numBuckets-1 {
		t.Fatalf("huge value in bucket %d, want the last", i)
	}
}

func TestQuantileMatchesSort(t *testing.T) {
	var h histogram
	var xs []time.Duration
	for range 100_000 {
		d := time.Duration(rand.ExpFloat64() * float64(2*time.Millisecond))
		h.record(d)
		xs = append(xs, d)
	}
	slices.Sort(xs)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := xs[int(q*float64(len(xs)))-1]
		got := h.quantile(q)
		if r := float64(got) / float64(exact); r < 0.99 || r > 1.01 {
			t.Fatalf("q%.2f = %v, exact %v", q, got, exact)
		}
	}
}

func TestLoopbackOnly(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:80/x", "http://127.9.9.9/", "http://localhost:1/", "http://[::1]:8080/token", "https://LOCALHOST/"} {
		if err := loopbackURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://[::2]/", "ftp://127.0.0.1/", "http://0.0.0.0/", "http://127.0.0.1.nip.io/", "://bad"} {
		if err := loopbackURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}
