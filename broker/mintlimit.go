package broker

import (
	"time"

	"github.com/cozeauth/cozeauth/ratelimit"
)

// newMintLimiter returns one app's mint budget: a ratelimit.Limiter used
// with the app's name as its only key (so its bucket is never evicted),
// on the clock now. Its slots are taken one at a time on a clock that
// never steps back: readings that reach it out of order (a flood of new
// sessions, each reading the time before the lock) refill no interval
// twice, so the cap holds under contention.
func newMintLimiter(r ratelimit.Rate, now func() time.Time) *ratelimit.Limiter {
	return ratelimit.NewWithClock(r, 1, now)
}
