package broker

import (
	"maps"
	"time"

	"github.com/cozeauth/cozeauth/ratelimit"
	"golang.org/x/sync/singleflight"
)

// appSet is one generation of the broker's apps: their sources, mint
// limits, status and single-flight groups. Replace swaps it whole; a
// request reads it with one atomic load.
type appSet struct {
	sources map[string]Source
	limits  map[string]*ratelimit.Limiter
	status  map[string]*appStatus
	flights map[string]*singleflight.Group
	rates   map[string]ratelimit.Rate
}

func newAppSet(sources map[string]Source, rates map[string]ratelimit.Rate, prev *appSet, shared ratelimit.Backend) *appSet {
	s := &appSet{sources: maps.Clone(sources), limits: map[string]*ratelimit.Limiter{}, status: map[string]*appStatus{},
		flights: map[string]*singleflight.Group{}, rates: map[string]ratelimit.Rate{}}
	for name, src := range sources {
		same := prev != nil && prev.sources[name] == src
		if same {
			s.status[name], s.flights[name] = prev.status[name], prev.flights[name]
		} else {
			s.status[name], s.flights[name] = &appStatus{}, &singleflight.Group{}
		}
		r, ok := rates[name]
		if !ok || r.Unlimited() {
			continue
		}
		s.rates[name] = r
		if prev != nil && prev.rates[name] == r && prev.limits[name] != nil {
			s.limits[name] = prev.limits[name] // a reload hands out no fresh burst
		} else {
			s.limits[name] = newMintLimiter(r, time.Now).Share(shared, "mint:")
		}
	}
	return s
}

// Replace swaps in a new set of apps, as a config reload does. An app
// whose Source is the same value as before keeps its cached tokens, mint
// budget and status; an app whose Source changed (pass a new value when
// its key, key id, region or endpoints changed) or that is gone loses
// every cached token at once, and its next mints use the new Source.
// Mints already in flight for a changed app finish, but their tokens are
// not kept. It returns how many cached tokens were dropped.
func (b *Broker) Replace(sources map[string]Source, rates map[string]ratelimit.Rate) int {
	b.replaceMu.Lock()
	defer b.replaceMu.Unlock()
	prev := b.set.Load()
	next := newAppSet(sources, rates, prev, b.opts.SharedLimits)
	b.set.Store(next)
	n := 0
	for name, src := range prev.sources {
		if next.sources[name] != src {
			n += b.DropApp(name)
		}
	}
	return n
}

// DropApp drops every cached token of app and returns how many.
func (b *Broker) DropApp(app string) int {
	return b.cache.drop(nil, func(e *entry) bool { return e.req.App == app })
}

// DropSession drops every cached token and remembered failure of app's
// session, whatever its owner, scope or duration: what a new login of
// that user (a new grant) makes stale. It returns how many.
func (b *Broker) DropSession(app, session string) int {
	return b.cache.drop(nil, func(e *entry) bool { return e.req.App == app && e.req.Session == session })
}

// DropOwner drops every cached token held for owner (see Request.Owner),
// as a revoked client's must be, and returns how many.
func (b *Broker) DropOwner(owner string) int {
	if owner == "" {
		return 0
	}
	return b.cache.drop(&owner, func(*entry) bool { return true })
}
