package broker

import (
	"hash/maphash"
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
}

var emptyState = &state{}

type entry struct {
	key     string  // the map key
	req     Request // App and Session share key's bytes
	st      atomic.Pointer[state]
	lastUse atomic.Int64 // unix ns of the last access
	busy    atomic.Bool  // a background refresh is under way
	dropped atomic.Int64 // unix ns of the last Invalidate that dropped its token
	evicted atomic.Bool
	hot     atomic.Pointer[hotTimer] // set once the entry is reused
}

// hotTimer is the background refresh of a reused entry.
type hotTimer struct {
	mu    sync.Mutex
	armed *state // the state whose refresh point the timer is set for
	timer *time.Timer
}

// stop cancels a scheduled refresh for good; the entry left the cache.
func (e *entry) stop() {
	e.evicted.Store(true)
	if h := e.hot.Load(); h != nil {
		h.mu.Lock()
		if h.timer != nil {
			h.timer.Stop()
		}
		h.mu.Unlock()
	}
}

const (
	numShards   = 64
	evictSample = 8
)

// cache is a sharded map bounded in entries. A hit takes one shard's read
// lock and one atomic store. When a shard is full, the least recently used
// of a sample of its entries is evicted (the approximated LRU of Redis):
// O(1) per insert, no list to reorder on every hit.
type cache struct {
	seed     maphash.Seed
	perShard int
	shards   []shard
}

type shard struct {
	mu sync.RWMutex
	m  map[string]*entry
}

func newCache(maxEntries int) *cache {
	n := numShards
	if maxEntries < 16*numShards {
		n = 1
	}
	c := &cache{seed: maphash.MakeSeed(), perShard: max(maxEntries/n, 1), shards: make([]shard, n)}
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

func (c *cache) get(key string) *entry {
	s := c.shard(key)
	s.mu.RLock()
	e := s.m[key]
	s.mu.RUnlock()
	return e
}

// getOrAdd returns the entry for key, adding a fresh one (and evicting
// another if the shard is full) when there is none.
func (c *cache) getOrAdd(key string, r Request, now int64) *entry {
	s := c.shard(key)
	s.mu.Lock()
	e := s.m[key]
	var victim *entry
	if e == nil {
		if len(s.m) >= c.perShard {
			victim = s.oldest()
			delete(s.m, victim.key)
		}
		e = &entry{key: key, req: r.sharing(key)}
		e.st.Store(emptyState)
		e.lastUse.Store(now)
		s.m[key] = e
	}
	s.mu.Unlock()
	if victim != nil {
		victim.stop()
	}
	return e
}

// oldest samples entries (map iteration starts at a random place) and
// returns the least recently used of them. The caller holds s.mu.
func (s *shard) oldest() *entry {
	var old *entry
	n := 0
	for _, e := range s.m {
		if old == nil || e.lastUse.Load() < old.lastUse.Load() {
			old = e
		}
		if n++; n >= evictSample {
			break
		}
	}
	return old
}

// remove drops key if it still maps to e.
func (c *cache) remove(key string, e *entry) {
	s := c.shard(key)
	s.mu.Lock()
	if s.m[key] == e {
		delete(s.m, key)
	} else {
		e = nil
	}
	s.mu.Unlock()
	if e != nil {
		e.stop()
	}
}

// drop removes every entry for which match is true and returns how many.
func (c *cache) drop(match func(*entry) bool) int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		var gone []*entry
		s.mu.Lock()
		for k, e := range s.m {
			if match(e) {
				delete(s.m, k)
				gone = append(gone, e)
			}
		}
		s.mu.Unlock()
		for _, e := range gone {
			e.stop()
		}
		n += len(gone)
	}
	return n
}

func (c *cache) len() int {
	n := 0
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}
