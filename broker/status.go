package broker

import (
	"sync"
	"time"
)

// AppStatus is the last mint outcome of one app, for readiness checks.
type AppStatus struct {
	LastMint  time.Time // last successful mint; zero if none yet
	LastError string    // last failure, "" when the last mint succeeded
	ErrorAt   time.Time
}

type appStatus struct {
	mu sync.Mutex
	s  AppStatus
}

func (a *appStatus) ok(now time.Time) {
	a.mu.Lock()
	a.s.LastMint, a.s.LastError = now, ""
	a.mu.Unlock()
}

func (a *appStatus) fail(now time.Time, err error) {
	a.mu.Lock()
	a.s.LastError, a.s.ErrorAt = err.Error(), now
	a.mu.Unlock()
}

// Status is the last mint outcome per app.
func (b *Broker) Status() map[string]AppStatus {
	apps := b.set.Load().status
	out := make(map[string]AppStatus, len(apps))
	for name, a := range apps {
		a.mu.Lock()
		out[name] = a.s
		a.mu.Unlock()
	}
	return out
}

// Stats counts cache hits, upstream mints and failed requests.
type Stats struct {
	Hits, Mints, Failures int64
	Entries               int
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	return Stats{Hits: b.hits.Load(), Mints: b.mints.Load(), Failures: b.failures.Load(), Entries: b.cache.len()}
}
