package broker

import (
	"errors"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/ratelimit"
)

// TestMintLimiterClockNeverStepsBack: goroutines read the time before they
// reach the limiter, so readings arrive out of order. rate.Limiter took an
// earlier reading as its new "last" and refilled the same interval twice:
// more mints than the cap under a flood (TestMintRateHoldsUnderContention
// failed so under load). The limiter's clock never steps back.
func TestMintLimiterClockNeverStepsBack(t *testing.T) {
	base := time.Now()
	var at time.Duration
	m := newMintLimiter(ratelimit.Rate{PerSecond: 1, Burst: 1}, func() time.Time { return base.Add(at) })
	granted := 0
	for _, at = range []time.Duration{0, 1000, 500, 1500, 1600, 1700} {
		at *= time.Millisecond
		switch err := m.Wait(t.Context(), "app", 0); { // take a slot only if free now
		case err == nil:
			granted++
		case !errors.Is(err, ratelimit.ErrLimited):
			t.Fatal(err)
		}
	}
	// At 1 per second, burst 1: one at 0 and one at 1 s; 1.7 s is too
	// early for a third.
	if granted != 2 {
		t.Fatalf("%d mints granted within 1.7 s at 1/s (burst 1), want 2", granted)
	}
}
