package broker

import (
	"hash/maphash"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// state is an entry's immutable snapshot; updates swap the pointer, so a
// cache hit reads it without a lock. It is kept small: a cache holds
// hundreds of thousands of them.
type state struct {
	tok       coze.Token // AccessToken "" when none; callers get &tok and must not modify it
	refreshAt int64      // unix ns: serve without refreshing until then
	staleAt   int64      // unix ns: never serve at or after this (expiry minus skew)
	fail      *failure   // last mint failure, if any
}

func (s *state) has() bool { return s.tok.AccessToken != "" }

// failure is a mint failure, answered from memory until until.
type failure struct {
	err   error
	until int64 // unix ns
	count int   // consecutive failures
	size  int64 // bytes accounted for it (see failureSize)
}

var emptyState = &state{}

type entry struct {
	key string // the map key; it carries the session, owner, scope and session_context
	// req has App, Session and Owner sharing key's bytes and no Scope or
	// SessionContext: those are decoded from key when minting (request),
	// so a large scope is held once, as JSON.
	req Request

	// Guarded by cache.mu.
	own     *owner
	charged int64 // bytes accounted for it
	pos     int32 // index in cache.all
	opos    int32 // index in own.list

	st      atomic.Pointer[state]
	lastUse atomic.Int64             // unix ns of the last access
	dropped atomic.Int64             // unix ns of the last Invalidate that dropped its token
	hot     atomic.Pointer[hotTimer] // set once the entry is reused
	minting atomic.Int32             // mints under way
	busy    atomic.Bool              // a background refresh is under way
	evicted atomic.Bool
	extra   bool // key ends in the JSON of SessionContext and Scope
	linked  bool // in the cache; guarded by cache.mu
}

// hotTimer is the background refresh of a reused entry.
type hotTimer struct {
	mu    sync.Mutex
	armed atomic.Pointer[state] // the state whose refresh point the timer is set for; read lock-free on hits
	timer *time.Timer
}

// stop cancels a scheduled refresh for good; the entry left the cache.
func (e *entry) stop() {
	e.evicted.Store(true)
	if h := e.hot.Load(); h != nil {
		h.mu.Lock()
		if h.timer != nil {
			h.timer.Stop()
			h.timer = nil
		}
		h.mu.Unlock()
	}
}

const numShards = 64

// cache maps keys to entries, bounded in bytes and in entries.
//
// Lookups go to one of numShards maps: a hit takes that shard's read lock
// and one atomic store. Inserts, removals and the byte accounting are
// serialized by mu (they happen when a key is new, when a mint lands and
// when entries are dropped, never on a hit), which also keeps every entry
// in all and in its owner's list so that eviction samples them in O(1)
// (see evict.go).
type cache struct {
	seed   maphash.Seed
	shards []shard

	mu     sync.Mutex
	all    []*entry
	owners map[string]*owner
	over   map[*owner]struct{} // owners holding more than their share
	lim    limits
	sw     sweeper

	count atomic.Int64 // len(all)
	bytes atomic.Int64 // bytes accounted for every entry
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*entry
}

func newCache(lim limits) *cache {
	n := numShards
	if lim.entries < 16*numShards {
		n = 1
	}
	c := &cache{seed: maphash.MakeSeed(), shards: make([]shard, n), owners: map[string]*owner{}, over: map[*owner]struct{}{}, lim: lim}
	for i := range c.shards {
		c.shards[i].m = make(map[string]*entry)
	}
	return c
}

func (c *cache) shard(key string) *shard {
	if len(c.shards) == 1 {
		return &c.shards[0]
	}
	return &c.shards[maphash.String(c.seed, key)%uint64(len(c.shards))]
}

// getBytes is get for a key in bytes, without allocating a string.
func (c *cache) getBytes(key []byte) *entry {
	s := &c.shards[0]
	if len(c.shards) > 1 {
		s = &c.shards[maphash.Bytes(c.seed, key)%uint64(len(c.shards))]
	}
	s.mu.RLock()
	e := s.m[string(key)]
	s.mu.RUnlock()
	return e
}

func (c *cache) get(key string) *entry {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[key]
	s.mu.RUnlock()
	return e
}

// getOrAdd returns the entry for key, adding a fresh one when there is
// none and making room for it by the eviction rules of evict.go. When the
// rules leave no room (the entry alone is more than its owner's share) the
// entry returned is not cached: its mint serves this call only.
func (c *cache) getOrAdd(key string, r Request, now int64) *entry {
	if e := c.get(key); e != nil {
		return e
	}
	c.mu.Lock()
	if e := c.get(key); e != nil {
		c.mu.Unlock()
		return e
	}
	key = strings.Clone(key) // the builder's spare capacity is not kept
	e := &entry{key: key}
	e.req, e.extra = r.compact(key)
	e.st.Store(emptyState)
	e.lastUse.Store(now)
	o := c.owner(e.req.Owner)
	size := c.cost(e, emptyState)
	victims := c.makeRoom(o, size, 1, now, nil)
	if c.fits(size, 1) {
		c.link(e, o, size)
		c.sw.wake(c)
	} else {
		c.dropOwnerIfEmpty(o)
	}
	c.mu.Unlock()
	for _, v := range victims {
		v.stop()
	}
	return e
}

// set stores st as e's state and accounts for its size; a grown entry
// makes room as an insert would (never by evicting e itself).
func (c *cache) set(e *entry, st *state) {
	c.swap(e, nil, st)
}

// swap is set when old is nil, else CompareAndSwap(old, st); it reports
// whether st was stored.
func (c *cache) swap(e *entry, old, st *state) bool {
	c.mu.Lock()
	if old == nil {
		e.st.Store(st)
	} else if !e.st.CompareAndSwap(old, st) {
		c.mu.Unlock()
		return false
	}
	var victims []*entry
	if e.linked {
		size := c.cost(e, st)
		if grow := size - e.charged; grow > 0 {
			victims = c.makeRoom(e.own, grow, 0, time.Now().UnixNano(), e)
		}
		c.account(e, size-e.charged)
		if !c.fits(0, 0) { // no room made: e pays for its own growth
			c.unlink(e)
			victims = append(victims, e)
		}
	}
	c.mu.Unlock()
	for _, v := range victims {
		v.stop()
	}
	return true
}

// link adds e, of size bytes, for owner o. The caller holds c.mu.
func (c *cache) link(e *entry, o *owner, size int64) {
	s := c.shard(e.key)
	s.mu.Lock()
	s.m[e.key] = e
	s.mu.Unlock()
	e.own, e.linked = o, true
	e.pos = int32(len(c.all))
	c.all = append(c.all, e)
	e.opos = int32(len(o.list))
	o.list = append(o.list, e)
	c.count.Add(1)
	c.account(e, size)
}

// unlink removes e from the cache and its accounting; the caller holds
// c.mu and calls e.stop once it has let go of it.
func (c *cache) unlink(e *entry) {
	if !e.linked {
		return
	}
	s := c.shard(e.key)
	s.mu.Lock()
	if s.m[e.key] == e {
		delete(s.m, e.key)
	}
	s.mu.Unlock()
	c.all = cut(c.all, int(e.pos), func(m *entry, i int) { m.pos = int32(i) })
	o := e.own
	o.list = cut(o.list, int(e.opos), func(m *entry, i int) { m.opos = int32(i) })
	c.count.Add(-1)
	c.account(e, -e.charged)
	e.linked = false
	c.dropOwnerIfEmpty(o)
}

// cut removes list[i] by moving the last element into its place.
func cut(list []*entry, i int, moved func(*entry, int)) []*entry {
	last := len(list) - 1
	if i != last {
		list[i] = list[last]
		moved(list[i], i)
	}
	list[last] = nil
	list = list[:last]
	if cap(list) > 64 && len(list) < cap(list)/4 {
		list = append([]*entry(nil), list...) // give memory back after a flood
	}
	return list
}

// account adds delta bytes to e, its owner and the total. The caller holds c.mu.
func (c *cache) account(e *entry, delta int64) {
	e.charged += delta
	e.own.bytes += delta
	c.bytes.Add(delta)
	c.checkShare(e.own)
}

// remove drops key if it still maps to e.
func (c *cache) remove(key string, e *entry) {
	c.mu.Lock()
	linked := e.linked && c.get(key) == e
	if linked {
		c.unlink(e)
	}
	c.mu.Unlock()
	if linked {
		e.stop()
	}
}

// drop removes every entry of list (all, or one owner's) for which match
// is true and returns how many.
func (c *cache) drop(ownerOnly *string, match func(*entry) bool) int {
	c.mu.Lock()
	list := c.all
	if ownerOnly != nil {
		o := c.owners[*ownerOnly]
		if o == nil {
			c.mu.Unlock()
			return 0
		}
		list = o.list
	}
	var gone []*entry
	for _, e := range list {
		if match(e) {
			gone = append(gone, e)
		}
	}
	for _, e := range gone {
		c.unlink(e)
	}
	c.mu.Unlock()
	for _, e := range gone {
		e.stop()
	}
	return len(gone)
}

func (c *cache) len() int { return int(c.count.Load()) }
