package broker

import (
	"sync"
	"time"
)

// sweeper drops entries that can serve nothing any more, every
// Options.SweepEvery. It runs while the cache holds entries (an insert
// starts it, a sweep that leaves the cache empty ends it) until Close.
type sweeper struct {
	every time.Duration
	retry int64 // Options.RetryWindow, ns

	// Guarded by cache.mu.
	running bool
	closed  bool

	stop chan struct{}
	wg   sync.WaitGroup
}

// wake starts the sweeper unless it runs. The caller holds c.mu.
func (w *sweeper) wake(c *cache) {
	if w.running || w.closed {
		return
	}
	w.running = true
	w.wg.Add(1)
	go c.sweepLoop()
}

func (c *cache) sweepLoop() {
	defer c.sw.wg.Done()
	t := time.NewTicker(c.sw.every)
	defer t.Stop()
	for {
		select {
		case <-c.sw.stop:
			return
		case <-t.C:
		}
		if !c.sweep(time.Now().UnixNano()) {
			return
		}
	}
}

// sweepBatch is how many entries a sweep looks at per hold of c.mu, so
// that inserts are not held up for a whole pass over a large cache.
const sweepBatch = 1024

// sweep drops every expired entry and reports whether the cache still
// holds any (when not, the sweeper ends: the next insert restarts it).
func (c *cache) sweep(now int64) bool {
	c.mu.Lock()
	for i := 0; i < len(c.all); {
		var gone []*entry
		for end := i + sweepBatch; i < len(c.all) && i < end; {
			if e := c.all[i]; c.expired(e, now) {
				c.unlink(e) // moves the last entry to i
				gone = append(gone, e)
			} else {
				i++
			}
		}
		c.mu.Unlock()
		for _, e := range gone {
			e.stop()
		}
		c.mu.Lock()
	}
	more := len(c.all) > 0
	if !more {
		c.sw.running = false
	}
	c.mu.Unlock()
	return more
}

// expired reports whether e can serve nothing any more and nothing is
// renewing it: its token (if any) is past its stale point, no mint or
// background refresh is under way, a remembered failure is past its
// backoff, its last Invalidate is outside the retry window (which the
// entry remembers), and, when it has never had a token, it was not asked
// for within the last sweep interval.
func (c *cache) expired(e *entry, now int64) bool {
	if e.busy.Load() || e.minting.Load() > 0 {
		return false
	}
	st := e.st.Load()
	if st.has() && now < st.staleAt {
		return false
	}
	if st.fail != nil && now < st.fail.until {
		return false
	}
	if d := e.dropped.Load(); d != 0 && now-d < c.sw.retry {
		return false
	}
	if !st.has() && st.fail == nil && now-e.lastUse.Load() < int64(c.sw.every) {
		return false
	}
	return true
}

// close stops the sweeper and waits for it.
func (c *cache) close() {
	c.mu.Lock()
	if !c.sw.closed {
		c.sw.closed = true
		close(c.sw.stop)
	}
	c.mu.Unlock()
	c.sw.wg.Wait()
}
