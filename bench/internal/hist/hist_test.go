package hist

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
	var h Histogram
	var xs []time.Duration
	for range 100_000 {
		d := time.Duration(rand.ExpFloat64() * float64(2*time.Millisecond))
		h.Record(d)
		xs = append(xs, d)
	}
	slices.Sort(xs)
	for _, q := range []float64{0.5, 0.9, 0.99} {
		exact := xs[int(q*float64(len(xs)))-1]
		got := h.Quantile(q)
		if r := float64(got) / float64(exact); r < 0.99 || r > 1.01 {
			t.Fatalf("q%.2f = %v, exact %v", q, got, exact)
		}
	}
}

func TestMergeAndEmpty(t *testing.T) {
	var a, b Histogram
	if a.Quantile(0.5) != 0 || a.Mean() != 0 {
		t.Fatal("empty histogram not zero")
	}
	a.Record(time.Millisecond)
	b.Record(3 * time.Millisecond)
	b.Record(-time.Second) // clamped to 0
	a.Merge(&b)
	if a.Count() != 3 || a.Max() != 3*time.Millisecond {
		t.Fatalf("merged n=%d max=%v", a.Count(), a.Max())
	}
	if s := a.Summarize(); s.N != 3 || s.Max != 3 {
		t.Fatalf("summary %+v", s)
	}
}
