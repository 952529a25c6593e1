package broker

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

// BenchmarkHit is the cache-hit path for one hot session, from many
// goroutines at once.
func BenchmarkHit(b *testing.B) {
	br := newTestBroker(&fakeSource{life: time.Hour}, Options{})
	defer br.Close()
	r := Request{App: "app", Session: "hot"}
	if _, _, err := br.Token(b.Context(), r); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := br.Token(b.Context(), r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHitManySessions is the hit path spread over 100,000 sessions.
func BenchmarkHitManySessions(b *testing.B) {
	br := newTestBroker(&fakeSource{life: time.Hour}, Options{})
	defer br.Close()
	const n = 100_000
	reqs := make([]Request, n)
	for i := range reqs {
		reqs[i] = Request{App: "app", Session: fmt.Sprint("user-", i)}
		br.Token(b.Context(), reqs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		br.Token(b.Context(), reqs[i%n])
	}
}

// BenchmarkMemory100kSessions reports the heap held per cached session.
func BenchmarkMemory100kSessions(b *testing.B) {
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		br := newTestBroker(&fakeSource{life: time.Hour}, Options{})
		for i := range 100_000 {
			br.Token(b.Context(), Request{App: "app", Session: fmt.Sprint("user-", i)})
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/100_000, "B/session")
		runtime.KeepAlive(br)
		br.Close()
	}
}

// BenchmarkEntryOverhead measures the heap an entry holds besides its key
// and token strings (what entryOverhead stands for): entries of hot
// sessions (their refresh timer armed) for two owners, after a GC, less
// the key and token bytes as allocSize counts them.
func BenchmarkEntryOverhead(b *testing.B) {
	for _, n := range []int{10_000, 50_000, 100_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) { benchEntryOverhead(b, n) })
	}
}

func benchEntryOverhead(b *testing.B, n int) {
	for b.Loop() {
		br := newTestBroker(&fakeSource{life: time.Hour}, Options{})
		before := liveHeap()
		var strs int64
		for i := range n {
			r := Request{App: "app", Session: fmt.Sprint("user-", i), Owner: fmt.Sprint("client#", i%2)}
			br.Token(b.Context(), r)
			tok, _, _ := br.Token(b.Context(), r) // hot: arms its refresh timer
			strs += allocSize(len(r.Key())) + allocSize(len(tok.AccessToken))
		}
		after := liveHeap()
		b.ReportMetric(float64(after-before-strs)/float64(n), "B/entry")
		b.ReportMetric(float64(br.Stats().Bytes)/float64(after-before), "charged/heap")
		br.Close()
	}
}

// liveHeap is the heap in use after a collection.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkLargeScopeSessions reproduces the memory report at
// small scale: 1 500 sessions, each asking with its own scope of 8 KiB or
// 60 KiB (decoded per request, as from a request body), under the default
// limits and under a 32 MiB MaxBytes. It reports the live heap the broker
// holds for them after a GC, the bytes the cache charges (at most
// MaxBytes) and the entries kept.
func BenchmarkLargeScopeSessions(b *testing.B) {
	for _, tc := range []struct {
		size     int
		maxBytes int64
	}{{8 << 10, 0}, {60 << 10, 0}, {60 << 10, 32 << 20}} {
		name := fmt.Sprint(tc.size>>10, "KiB")
		if tc.maxBytes > 0 {
			name += fmt.Sprint("-max", tc.maxBytes>>20, "MiB")
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				br := newTestBroker(&fakeSource{life: time.Hour}, Options{MaxBytes: tc.maxBytes})
				before := liveHeap()
				for i := range 1500 {
					r := Request{App: "app", Session: fmt.Sprint("user-", i), Scope: makeScope(tc.size, fmt.Sprint(i))}
					if _, _, err := br.Token(b.Context(), r); err != nil {
						b.Fatal(err)
					}
				}
				heap := liveHeap() - before
				st := br.Stats()
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
				b.ReportMetric(float64(st.Bytes)/(1<<20), "charged-MiB")
				b.ReportMetric(float64(st.Entries), "entries")
				br.Close()
			}
		})
	}
}
