package broker

import "time"

// refreshAsync starts a background mint for e unless one is under way.
func (b *Broker) refreshAsync(e *entry) {
	if b.closed.Load() || !e.busy.CompareAndSwap(false, true) {
		return
	}
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer e.busy.Store(false)
		b.flight.Do(e.key, func() (any, error) { return b.mint(e) })
	}()
}

// scheduleRefresh arms, once per minted token, a timer at the token's
// refresh point. A token that was used again after its mint is a hot one:
// it is refreshed in the background then, so its callers never wait. A
// token nobody asked for again is left to lapse.
func (b *Broker) scheduleRefresh(e *entry, st *state) {
	if e.armed.Load() == st || !e.armed.CompareAndSwap(e.armed.Load(), st) {
		return // the common case: one atomic load per hit
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.evicted || b.closed.Load() {
		return
	}
	if e.timer != nil {
		e.timer.Stop()
	}
	e.timer = time.AfterFunc(time.Until(st.refreshAt), func() {
		e.mu.Lock()
		gone := e.evicted
		e.mu.Unlock()
		if !gone && e.st.Load() == st {
			b.refreshAsync(e)
		}
	})
}
