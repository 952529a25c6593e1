package broker

import (
	"time"

	"github.com/cozeauth/cozeauth/meter"
)

// refreshAsync starts a background mint for e unless one is under way.
func (b *Broker) refreshAsync(e *entry) {
	if b.closed.Load() || !e.busy.CompareAndSwap(false, true) {
		return
	}
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer e.busy.Store(false)
		if g := b.set.Load().flights[e.req.App]; g != nil {
			g.Do(e.key, func() (any, error) { return b.mint(e, meter.ForRefresh) })
		}
	}()
}

// scheduleRefresh arms, once per minted token, a timer at the token's
// refresh point. A token that was used again after its mint is a hot one:
// it is refreshed in the background then, so its callers never wait. A
// token nobody asked for again is left to lapse.
func (b *Broker) scheduleRefresh(e *entry, st *state) {
	h := e.hot.Load()
	if h == nil {
		e.hot.CompareAndSwap(nil, &hotTimer{})
		h = e.hot.Load()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.armed.Load() == st || e.evicted.Load() || b.closed.Load() {
		return
	}
	h.armed.Store(st)
	if h.timer != nil {
		h.timer.Stop()
	}
	h.timer = time.AfterFunc(time.Duration(st.refreshAt-time.Now().UnixNano()), func() {
		if !e.evicted.Load() && e.st.Load() == st {
			b.refreshAsync(e)
		}
	})
}
