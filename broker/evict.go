package broker

import (
	"math/rand/v2"
	"strings"
)

// limits bound the cache as a whole and each owner's share of it.
type limits struct {
	bytes, entries           int64 // the whole cache: MaxBytes, MaxEntries
	shareBytes, shareEntries int64 // one owner other than "": OwnerShare of each
}

func newLimits(o Options) limits {
	return limits{
		bytes: o.MaxBytes, entries: int64(o.MaxEntries),
		shareBytes:   int64(float64(o.MaxBytes) * o.OwnerShare),
		shareEntries: max(int64(float64(o.MaxEntries)*o.OwnerShare), 1),
	}
}

// owner is one Request.Owner's part of the cache.
type owner struct {
	name   string
	bytes  int64
	list   []*entry // its entries, for sampling; entry.opos is the index
	exempt bool     // "" (open mode, one user): may use the whole cache
}

// owner returns name's record, creating it. The caller holds c.mu.
func (c *cache) owner(name string) *owner {
	o := c.owners[name]
	if o == nil {
		o = &owner{name: strings.Clone(name), exempt: name == ""}
		c.owners[o.name] = o
	}
	return o
}

// dropOwnerIfEmpty forgets an owner that holds nothing. The caller holds c.mu.
func (c *cache) dropOwnerIfEmpty(o *owner) {
	if len(o.list) == 0 && c.owners[o.name] == o {
		delete(c.owners, o.name)
		delete(c.over, o)
	}
}

// overShare reports whether o would hold more than its share with bytes
// and entries more. The caller holds c.mu.
func (c *cache) overShare(o *owner, bytes, entries int64) bool {
	return !o.exempt && (o.bytes+bytes > c.lim.shareBytes || int64(len(o.list))+entries > c.lim.shareEntries)
}

// checkShare keeps c.over current for o. The caller holds c.mu.
func (c *cache) checkShare(o *owner) {
	if c.overShare(o, 0, 0) {
		c.over[o] = struct{}{}
	} else {
		delete(c.over, o)
	}
}

// fits reports whether bytes and entries more stay within the limits.
func (c *cache) fits(bytes, entries int64) bool {
	return c.bytes.Load()+bytes <= c.lim.bytes && c.count.Load()+entries <= c.lim.entries
}

// makeRoom evicts entries until bytes and entries more fit for owner o,
// or until the rules allow no more evictions, and returns the evicted
// entries (the caller stops them once it has released c.mu). keep is never
// evicted. The rules, which Options.OwnerShare documents:
//
//  1. When o would hold more than its share, o pays: the least recently
//     used of a sample of o's own entries goes, and nobody else's.
//  2. Otherwise, while some owner holds more than its share, the least
//     recently used of a sample of that owner's entries goes.
//  3. Otherwise the least recently used of a sample of all entries goes.
//
// The caller holds c.mu.
func (c *cache) makeRoom(o *owner, bytes, entries, now int64, keep *entry) []*entry {
	var victims []*entry
	for !c.fits(bytes, entries) {
		v := c.victim(o, bytes, entries, now, keep)
		if v == nil {
			break
		}
		c.unlink(v)
		victims = append(victims, v)
	}
	return victims
}

func (c *cache) victim(o *owner, bytes, entries, now int64, keep *entry) *entry {
	if c.overShare(o, bytes, entries) {
		return oldest(o.list, now, keep)
	}
	for p := range c.over {
		if v := oldest(p.list, now, keep); v != nil {
			return v
		}
	}
	return oldest(c.all, now, keep)
}

// evictSample is how many entries an eviction compares: the approximated
// LRU of Redis, O(1) per eviction and no list to reorder on every hit.
const evictSample = 8

// oldest returns the least recently used of a sample of list (all of it
// when short), not keep; an entry whose token can no longer be served
// counts as the oldest. It returns nil when list holds nothing but keep.
func oldest(list []*entry, now int64, keep *entry) *entry {
	var best *entry
	var bestRank int64
	look := func(e *entry) {
		if e == keep {
			return
		}
		r := e.lastUse.Load()
		if st := e.st.Load(); st.has() && now >= st.staleAt {
			r = 0
		}
		if best == nil || r < bestRank {
			best, bestRank = e, r
		}
	}
	if len(list) <= evictSample {
		for _, e := range list {
			look(e)
		}
		return best
	}
	for range evictSample {
		look(list[rand.IntN(len(list))])
	}
	if best == nil { // the sample hit keep every time
		look(list[0])
		look(list[1])
	}
	return best
}
