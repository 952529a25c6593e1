package broker

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// mintLimiter is one app's mint budget. Reservations are taken one at a
// time, at times that never go back: rate.Limiter takes the time a caller
// read (before it got the limiter's lock) as its new "last", so when an
// earlier reading arrives after a later one its clock steps back and the
// same interval refills tokens twice: under a flood of new sessions, more
// mints than the cap.
type mintLimiter struct {
	mu    sync.Mutex
	l     *rate.Limiter
	last  time.Time        // the latest time given to l
	clock func() time.Time // time.Now; tests set another
}

// now returns the current time, or the latest time given to l if later.
// The caller holds m.mu.
func (m *mintLimiter) now() time.Time {
	now := m.clock()
	if now.Before(m.last) {
		now = m.last
	}
	m.last = now
	return now
}

func newMintLimiter(r Rate) *mintLimiter {
	return &mintLimiter{l: rate.NewLimiter(rate.Limit(r.PerSecond), max(r.Burst, 1)), clock: time.Now}
}

// wait takes the next slot and waits for it, or reports false at once,
// taking nothing, when the slot is more than most away. It returns
// ctx.Err() (handing the slot back) if ctx ends first.
func (m *mintLimiter) wait(ctx context.Context, most time.Duration) (bool, error) {
	m.mu.Lock()
	now := m.now()
	r := m.l.ReserveN(now, 1)
	d := r.DelayFrom(now)
	if !r.OK() || d > most {
		r.CancelAt(now) // the latest reservation: hands back exactly its token
		m.mu.Unlock()
		return false, nil
	}
	m.mu.Unlock()
	if d <= 0 {
		return true, nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true, nil
	case <-ctx.Done():
		m.mu.Lock()
		r.CancelAt(m.now())
		m.mu.Unlock()
		return false, ctx.Err()
	}
}
