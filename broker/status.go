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

// Stats counts cache hits, upstream mints and failed requests, and what
// the cache holds.
type Stats struct {
	Hits, Mints, Failures int64
	Entries               int
	Bytes                 int64 // charged for the cached entries (see Options.MaxBytes)
	Owners                int   // owners holding cached entries
}

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats {
	c := b.cache
	c.mu.Lock()
	owners := len(c.owners)
	c.mu.Unlock()
	return Stats{Hits: b.hits.Load(), Mints: b.mints.Load(), Failures: b.failures.Load(),
		Entries: c.len(), Bytes: c.bytes.Load(), Owners: owners}
}

// Usage is what one owner holds in the cache.
type Usage struct {
	Entries int
	Bytes   int64
}

// OwnerUsage returns what owner (see Request.Owner) holds in the cache.
func (b *Broker) OwnerUsage(owner string) Usage {
	c := b.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if o := c.owners[owner]; o != nil {
		return Usage{Entries: len(o.list), Bytes: o.bytes}
	}
	return Usage{}
}
