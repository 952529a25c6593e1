package ratelimit

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestWaitHoldsUnderCancelChurn: waiters that give up (their context
// ends) hand slots back while others reserve and are refused. However
// they interleave, no window of time holds more granted slots than the
// bucket allows: Burst + PerSecond·t.
func TestWaitHoldsUnderCancelChurn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const perSecond, burst = 50, 10
		l := New(Rate{PerSecond: perSecond, Burst: burst}, 16)
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		var cancelled atomic.Int64
		var wg sync.WaitGroup
		for w := range 64 {
			wg.Go(func() {
				rng := rand.New(rand.NewPCG(uint64(w), 1))
				for time.Since(start) < 2*time.Second {
					ctx, cancel := context.WithTimeout(t.Context(), time.Duration(rng.IntN(300))*time.Millisecond)
					err := l.Wait(ctx, "k", 200*time.Millisecond)
					cancel()
					switch {
					case err == nil:
						mu.Lock()
						at = append(at, time.Since(start))
						mu.Unlock()
					case errors.Is(err, context.DeadlineExceeded):
						cancelled.Add(1)
					case errors.Is(err, ErrLimited):
						time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
					default:
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		slices.Sort(at)
		if cancelled.Load() == 0 || len(at) <= burst {
			t.Fatalf("the churn did not happen: %d granted, %d cancelled", len(at), cancelled.Load())
		}
		for i := range at {
			for j := i; j < len(at); j++ {
				if most := burst + perSecond*(at[j]-at[i]).Seconds() + 1e-6; float64(j-i+1) > most {
					t.Fatalf("%d slots granted between %v and %v; at most %.0f allowed", j-i+1, at[i], at[j], most)
				}
			}
		}
	})
}

// TestWaitHoldsUnderContention runs in real time with the race detector
// in mind: 128 goroutines reserving, giving up and being refused for
// half a second get no more than the bucket allows.
func TestWaitHoldsUnderContention(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time flood")
	}
	const perSecond, burst = 100, 20
	l := New(Rate{PerSecond: perSecond, Burst: burst}, 16)
	var granted atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(500 * time.Millisecond)
	for w := range 128 {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for time.Now().Before(stop) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rng.IntN(50))*time.Millisecond)
				if err := l.Wait(ctx, "k", 30*time.Millisecond); err == nil {
					granted.Add(1)
				}
				cancel()
			}
		})
	}
	wg.Wait()
	// A grant counted at t was due no later than t.
	if got, most := granted.Load(), burst+perSecond*time.Since(start).Seconds()+1; float64(got) > most {
		t.Fatalf("%d slots in %v at %d/s burst %d: at most %.0f allowed", got, time.Since(start), perSecond, burst, most)
	}
}
