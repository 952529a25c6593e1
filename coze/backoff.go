package coze

import (
	"math/rand/v2"
	"time"
)

// Backoff is exponential backoff with jitter. A Retry-After from Coze
// longer than Max is not waited for: the error is returned with it.
type Backoff struct {
	Attempts int           // total attempts including the first; DefaultAttempts when zero, 1 disables retries
	Base     time.Duration // first delay ceiling; 200ms when zero
	Max      time.Duration // delay ceiling; 5s when zero
}

func (b Backoff) attempts() int {
	if b.Attempts <= 0 {
		return DefaultAttempts
	}
	return b.Attempts
}

func (b Backoff) max() time.Duration {
	if b.Max <= 0 {
		return 5 * time.Second
	}
	return b.Max
}

// delay is the wait after failed attempt i (0-based): uniform in
// [ceiling/2, ceiling] where ceiling doubles from Base up to Max.
func (b Backoff) delay(i int) time.Duration {
	base, ceil := b.Base, b.max()
	if base <= 0 {
		base = 200 * time.Millisecond
	}
	d := base
	for ; i > 0 && d < ceil; i-- {
		if d > ceil/2 { // doubling would pass the ceiling (or overflow)
			d = ceil
			break
		}
		d *= 2
	}
	d = min(d, ceil)
	return d/2 + rand.N(d/2+1)
}
