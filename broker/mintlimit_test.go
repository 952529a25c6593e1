package broker

import (
	"testing"
	"time"
)

// TestMintLimiterClockNeverStepsBack: goroutines read the time before they
// reach the limiter, so readings arrive out of order. rate.Limiter took an
// earlier reading as its new "last" and refilled the same interval twice:
// more mints than the cap under a flood (TestMintRateHoldsUnderContention
// failed so under load). The limiter's clock now never steps back.
func TestMintLimiterClockNeverStepsBack(t *testing.T) {
	base := time.Now()
	m := newMintLimiter(Rate{PerSecond: 1, Burst: 1})
	var at time.Duration
	m.clock = func() time.Time { return base.Add(at) }
	granted := 0
	for _, at = range []time.Duration{0, 1000, 500, 1500, 1600, 1700} {
		at *= time.Millisecond
		ok, err := m.wait(t.Context(), 0) // take a slot only if free now
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			granted++
		}
	}
	// At 1 per second, burst 1: one at 0 and one at 1 s; 1.7 s is too
	// early for a third.
	if granted != 2 {
		t.Fatalf("%d mints granted within 1.7 s at 1/s (burst 1), want 2", granted)
	}
}
