package ratelimit

import (
	"math"
	"time"
)

// Rate is a token bucket: PerSecond sustained, Burst at once (a Burst
// below 1 counts as 1). A PerSecond of zero or less is no limit; so are
// an infinite PerSecond and NaN, which Parse never returns.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Unlimited reports whether r imposes nothing.
func (r Rate) Unlimited() bool { return !(r.PerSecond > 0) || math.IsInf(r.PerSecond, 1) }

// durationOf converts tokens at r into the time they take to refill,
// saturating at the largest Duration rather than overflowing.
func (r Rate) durationOf(tokens float64) time.Duration {
	ns := tokens / r.PerSecond * float64(time.Second)
	if !(ns < math.MaxInt64) { // NaN too
		return math.MaxInt64
	}
	return time.Duration(ns)
}
