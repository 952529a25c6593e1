package emulator

// Replay-cache bounds: prune when the map doubles past minPrune entries, and
// never hold more than maxJTIs (evicting the soonest-expiring when full).
const (
	minPrune = 1024
	maxJTIs  = 1 << 20
)

// replayCache remembers the jti of each accepted assertion until the
// assertion's exp has passed. Callers hold Server.mu.
type replayCache struct {
	seen      map[string]float64 // app\x00jti -> exp (epoch seconds)
	nextPrune int
}

// use records key with expiry exp and reports whether it was fresh, that is
// not seen before or seen only with an exp at or before cutoff (now-leeway).
func (c *replayCache) use(key string, exp, cutoff float64) bool {
	if c.seen == nil {
		c.seen = make(map[string]float64)
		c.nextPrune = minPrune
	}
	if old, ok := c.seen[key]; ok && old > cutoff {
		return false
	}
	if len(c.seen) >= c.nextPrune {
		c.prune(cutoff)
		c.nextPrune = max(minPrune, 2*len(c.seen))
	}
	if len(c.seen) >= maxJTIs {
		c.evictSoonest()
	}
	c.seen[key] = exp
	return true
}

// prune forgets entries whose exp is at or before cutoff.
func (c *replayCache) prune(cutoff float64) {
	for k, exp := range c.seen {
		if exp <= cutoff {
			delete(c.seen, k)
		}
	}
}

// evictSoonest forgets the entry expiring first.
func (c *replayCache) evictSoonest() {
	var victim string
	first := true
	var soonest float64
	for k, exp := range c.seen {
		if first || exp < soonest {
			victim, soonest, first = k, exp, false
		}
	}
	delete(c.seen, victim)
}
