package ratelimit

import (
	"fmt"
	"hash/maphash"
	"math"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// fakeClock is a settable clock for NewWithClock.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func newTestLimiter(r Rate, maxKeys int) (*Limiter, *fakeClock) {
	clk := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return NewWithClock(r, maxKeys, clk.Now), clk
}

func (l *Limiter) size() int {
	n := 0
	for i := range l.shards {
		s := &l.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func TestLimiterBurstThenRefuse(t *testing.T) {
	cases := []struct {
		rate      Rate
		allowed   int           // at once
		wantRetry time.Duration // for the first refusal
	}{
		{Rate{PerSecond: 1, Burst: 3}, 3, time.Second},
		{Rate{PerSecond: 2, Burst: 5}, 5, 500 * time.Millisecond},
		{Rate{PerSecond: 10, Burst: 1}, 1, 100 * time.Millisecond},
		{Rate{PerSecond: 1.0 / 60, Burst: 2}, 2, time.Minute},
		{Rate{PerSecond: 1, Burst: 0}, 1, time.Second}, // burst 0 means 1
		{Rate{PerSecond: 1, Burst: -4}, 1, time.Second},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%g/s burst %d", tc.rate.PerSecond, tc.rate.Burst), func(t *testing.T) {
			l, _ := newTestLimiter(tc.rate, 1000)
			for i := range tc.allowed {
				if ok, wait := l.Allow("k"); !ok || wait != 0 {
					t.Fatalf("request %d of the burst refused (wait %v)", i+1, wait)
				}
			}
			for i := range 3 {
				ok, wait := l.Allow("k")
				if ok {
					t.Fatalf("request %d after the burst allowed", i+1)
				}
				if d := wait - tc.wantRetry; d < -time.Millisecond || d > time.Millisecond {
					t.Errorf("RetryAfter %v, want %v", wait, tc.wantRetry)
				}
			}
			// Other keys have their own buckets.
			if ok, _ := l.Allow("other"); !ok {
				t.Error("another key was refused")
			}
		})
	}
}

func TestLimiterRefill(t *testing.T) {
	l, clk := newTestLimiter(Rate{PerSecond: 2, Burst: 4}, 1000)
	allow := func(want bool) {
		t.Helper()
		if ok, wait := l.Allow("k"); ok != want {
			t.Fatalf("Allow = %v (wait %v), want %v", ok, wait, want)
		}
	}
	for range 4 {
		allow(true)
	}
	allow(false)
	clk.Advance(250 * time.Millisecond) // half a token
	ok, wait := l.Allow("k")
	if ok || wait < 249*time.Millisecond || wait > 251*time.Millisecond {
		t.Fatalf("half refilled: Allow = %v, %v; want false, 250ms", ok, wait)
	}
	clk.Advance(wait) // exactly what RetryAfter said
	allow(true)
	allow(false)
	clk.Advance(time.Second) // two tokens
	allow(true)
	allow(true)
	allow(false)
	clk.Advance(time.Hour) // refills to the burst, no further
	for range 4 {
		allow(true)
	}
	allow(false)
}

// TestLimiterRefusalsDoNotDrain: being refused costs nothing, so a caller
// hammering a limit still gets the sustained rate.
func TestLimiterRefusalsDoNotDrain(t *testing.T) {
	l, clk := newTestLimiter(Rate{PerSecond: 1, Burst: 1}, 1000)
	if ok, _ := l.Allow("k"); !ok {
		t.Fatal("first request refused")
	}
	allowed := 0
	for range 250 { // 2.5s, every 10ms
		clk.Advance(10 * time.Millisecond)
		if ok, _ := l.Allow("k"); ok {
			allowed++
		}
	}
	if allowed != 2 {
		t.Errorf("hammering for 2.5s at 1/s: %d allowed, want 2", allowed)
	}
}

func TestLimiterUnlimited(t *testing.T) {
	for _, r := range []Rate{{}, {PerSecond: 0, Burst: 5}, {PerSecond: -1, Burst: 1}, {PerSecond: math.Inf(1), Burst: 1}, {PerSecond: math.NaN()}} {
		l := New(r, 16)
		for i := range 1000 {
			if ok, wait := l.Allow("k"); !ok || wait != 0 {
				t.Fatalf("%+v: request %d refused", r, i)
			}
		}
		if l.size() != 0 {
			t.Errorf("%+v: an unlimited limiter tracks %d keys", r, l.size())
		}
	}
	var nilL *Limiter
	if ok, _ := nilL.Allow("k"); !ok {
		t.Error("a nil limiter refused")
	}
}

// TestLimiterRealClock runs the limiter on its default clock, time.Now,
// in a synctest bubble whose fake time moves only on Sleep.
func TestLimiterRealClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := New(Rate{PerSecond: 1, Burst: 2}, 100)
		for range 2 {
			if ok, _ := l.Allow("k"); !ok {
				t.Fatal("burst refused")
			}
		}
		ok, wait := l.Allow("k")
		if ok || wait != time.Second {
			t.Fatalf("after the burst: Allow = %v, %v; want false, 1s", ok, wait)
		}
		time.Sleep(wait - time.Millisecond)
		if ok, _ := l.Allow("k"); ok {
			t.Fatal("allowed before RetryAfter")
		}
		time.Sleep(time.Millisecond)
		if ok, _ := l.Allow("k"); !ok {
			t.Fatal("refused after RetryAfter")
		}
		time.Sleep(10 * time.Second)
		for i := range 3 {
			if ok, _ := l.Allow("k"); ok != (i < 2) {
				t.Fatalf("after a long idle, request %d: %v", i+1, ok)
			}
		}
	})
}

// TestLimiterBounded: a flood of distinct keys (spoofed IPs, random
// cookies) does not grow the limiter past its bound.
func TestLimiterBounded(t *testing.T) {
	for _, maxKeys := range []int{16, 160, 1000} {
		l, clk := newTestLimiter(Rate{PerSecond: 1, Burst: 5}, maxKeys)
		for i := range 50_000 {
			l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
			if i%1000 == 0 {
				clk.Advance(time.Millisecond)
			}
		}
		if n := l.size(); n > maxKeys || n < maxKeys/2 {
			t.Errorf("maxKeys %d: %d keys tracked after a flood", maxKeys, n)
		}
	}
}

// TestLimiterEvictsRefilledFirst: when a shard is full, buckets that have
// refilled (which hold no state) go before a drained one, so a flood of
// new keys does not hand a limited caller a fresh burst.
func TestLimiterEvictsRefilledFirst(t *testing.T) {
	l, clk := newTestLimiter(Rate{PerSecond: 1, Burst: 3}, 16*4) // 4 per shard
	shardOf := func(k string) uint64 { return maphash.String(l.seed, k) % uint64(len(l.shards)) }
	victim := "victim"
	var same []string // other keys in the victim's shard
	for i := 0; len(same) < 4; i++ {
		if k := fmt.Sprint("k", i); shardOf(k) == shardOf(victim) {
			same = append(same, k)
		}
	}
	for range 3 {
		l.Allow(victim) // drained
	}
	for _, k := range same[:3] {
		l.Allow(k) // one token taken each; the shard is full
	}
	clk.Advance(time.Second) // the three refill; the victim holds 1 token
	l.Allow(same[3])         // must evict the refilled three, not the victim
	if ok, _ := l.Allow(victim); !ok {
		t.Fatal("the victim's refilled token was refused")
	}
	if ok, _ := l.Allow(victim); ok {
		t.Error("the drained victim was evicted and got a fresh burst")
	}
	s := &l.shards[shardOf(victim)]
	if _, ok := s.m[victim]; !ok || len(s.m) != 2 {
		t.Errorf("shard holds %d keys (victim kept: %v), want the victim and the newcomer", len(s.m), ok)
	}
}

// TestLimiterConcurrent: under concurrent use (run with -race) a bucket
// hands out exactly its burst, however many goroutines ask at once, and a
// limiter evicting all along stays within its bound. Time stands still in
// the synctest bubble, so nothing refills.
func TestLimiterConcurrent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const burst, workers, each = 50, 16, 200
		l := New(Rate{PerSecond: 1, Burst: burst}, 100_000)
		churn := New(Rate{PerSecond: 1, Burst: burst}, 64)
		var shared atomic.Int64
		own := make([]int, workers)
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					if ok, _ := l.Allow("shared"); ok {
						shared.Add(1)
					}
					if ok, _ := l.Allow(fmt.Sprint("own-", w)); ok {
						own[w]++
					}
					churn.Allow(fmt.Sprint("churn-", w, "-", i)) // evicts all along
				}
			})
		}
		wg.Wait()
		if got := shared.Load(); got != burst {
			t.Errorf("shared key allowed %d times, want its burst %d", got, burst)
		}
		for w, n := range own {
			if n != burst {
				t.Errorf("worker %d's own key allowed %d times, want %d", w, n, burst)
			}
		}
		if n := churn.size(); n > 64 {
			t.Errorf("%d keys tracked, bound 64", n)
		}
	})
}
