package ratelimit

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// TestWaitClockNeverStepsBack: readings reach a bucket out of order (a
// goroutine reads the time, then another takes the lock first). A
// limiter that took an earlier reading as its new "last" would refill the
// same interval twice (golang.org/x/time/rate did so: more mints than the
// cap under a flood of new sessions).
func TestWaitClockNeverStepsBack(t *testing.T) {
	clk := &fakeClock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	base := clk.now
	l := NewWithClock(Rate{PerSecond: 1, Burst: 1}, 16, clk.Now)
	granted := 0
	for _, ms := range []time.Duration{0, 1000, 500, 1500, 1600, 1700, 1000, 1999} {
		clk.now = base.Add(ms * time.Millisecond)
		switch err := l.Wait(t.Context(), "app", 0); {
		case err == nil:
			granted++
		case !errors.Is(err, ErrLimited):
			t.Fatal(err)
		}
	}
	// At 1/s, burst 1: one at 0 and one at 1 s; 1.999 s is too early for
	// a third, whatever order the readings came in.
	if granted != 2 {
		t.Fatalf("%d slots granted within 2 s at 1/s (burst 1), want 2", granted)
	}
	clk.now = base.Add(2 * time.Second)
	if err := l.Wait(t.Context(), "app", 0); err != nil {
		t.Fatalf("at 2 s the third slot was refused: %v", err)
	}
}

// TestWaitSlotsInOrder: many goroutines waiting at once get their slots
// one at a time, 1/PerSecond apart once the burst is spent, and all of
// them within maxWait get one.
func TestWaitSlotsInOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const perSecond, burst, n = 10, 3, 40
		l := New(Rate{PerSecond: perSecond, Burst: burst}, 16)
		start := time.Now()
		var mu sync.Mutex
		var at []time.Duration
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				if err := l.Wait(t.Context(), "app", time.Hour); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				at = append(at, time.Since(start))
				mu.Unlock()
			})
		}
		wg.Wait()
		slices.Sort(at)
		if len(at) != n {
			t.Fatalf("%d of %d waiters got a slot", len(at), n)
		}
		step := time.Second / perSecond
		for i, d := range at {
			want := time.Duration(max(i-burst+1, 0)) * step
			if d != want {
				t.Fatalf("slot %d due at %v, want %v (all: %v)", i, d, want, at)
			}
		}
	})
}

// TestWaitTooFarTakesNothing: a slot beyond maxWait is refused at once,
// and the refusal leaves the next slot where it was.
func TestWaitTooFarTakesNothing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := New(Rate{PerSecond: 1, Burst: 1}, 16)
		start := time.Now()
		if err := l.Wait(t.Context(), "k", 0); err != nil {
			t.Fatal(err)
		}
		for range 5 {
			if err := l.Wait(t.Context(), "k", 999*time.Millisecond); !errors.Is(err, ErrLimited) {
				t.Fatalf("a slot 1 s away with maxWait 999ms: %v, want ErrLimited", err)
			}
		}
		if d := time.Since(start); d != 0 {
			t.Fatalf("refusals took %v, want none", d)
		}
		if err := l.Wait(t.Context(), "k", time.Second); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d != time.Second {
			t.Fatalf("the next slot came at %v, want 1s (refusals must take nothing)", d)
		}
	})
}

// TestWaitCancelHandsBack: a waiter whose context ends gives its slot
// back, so the next caller need not wait for it.
func TestWaitCancelHandsBack(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := New(Rate{PerSecond: 1, Burst: 1}, 16)
		l.Allow("k") // the burst is spent; the next slot is at 1 s
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		if err := l.Wait(ctx, "k", time.Hour); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Wait = %v, want the context's error", err)
		}
		// Half a second in: the slot at 1 s is free again.
		if ok, wait := l.Allow("k"); ok || wait != 500*time.Millisecond {
			t.Fatalf("after the cancel: Allow = %v, %v; want false, 500ms", ok, wait)
		}
	})
}

// TestWaitCancelKeepsLaterSlots: when slots were promised after a
// cancelled one, they keep their times and the cancelled slot is not
// handed back: giving it back would put two slots at one instant.
func TestWaitCancelKeepsLaterSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := New(Rate{PerSecond: 1, Burst: 1}, 16)
		start := time.Now()
		l.Allow("k")
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan error)
		go func() { done <- l.Wait(ctx, "k", time.Hour) }() // due at 1 s
		synctest.Wait()
		var second time.Duration
		go func() { // due at 2 s
			if err := l.Wait(t.Context(), "k", time.Hour); err != nil {
				t.Error(err)
			}
			second = time.Since(start)
			done <- nil
		}()
		synctest.Wait()
		time.Sleep(500 * time.Millisecond)
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("the cancelled Wait = %v", err)
		}
		if err := l.Wait(t.Context(), "k", time.Hour); err != nil {
			t.Fatal(err)
		}
		third := time.Since(start)
		<-done
		if second != 2*time.Second || third != 3*time.Second {
			t.Fatalf("later slots due at %v and %v, want 2s and 3s", second, third)
		}
	})
}

// TestAllowSeesPromisedSlots: slots promised to waiters are spent for
// Allow too; the two uses share one bucket.
func TestAllowSeesPromisedSlots(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := New(Rate{PerSecond: 1, Burst: 2}, 16)
		for range 2 {
			l.Allow("k")
		}
		go l.Wait(t.Context(), "k", time.Hour) // due at 1 s
		synctest.Wait()
		if ok, wait := l.Allow("k"); ok || wait != 2*time.Second {
			t.Fatalf("Allow = %v, %v; want false, 2s", ok, wait)
		}
	})
}

func TestWaitUnlimited(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		var nilL *Limiter
		for _, l := range []*Limiter{nilL, New(Rate{}, 16), New(Rate{PerSecond: -1, Burst: 1}, 16)} {
			for range 100 {
				if err := l.Wait(t.Context(), "k", 0); err != nil {
					t.Fatal(err)
				}
			}
		}
		if time.Since(start) != 0 {
			t.Fatal("an unlimited limiter made a caller wait")
		}
	})
}
