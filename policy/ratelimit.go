package policy

import (
	"hash/maphash"
	"math"
	"sync"
	"time"
)

// Limiter is a set of token buckets keyed by string (a client name, an
// IP), bounded in memory: when full, idle buckets are dropped first, and
// a bucket dropped is a full one, which only ever errs toward allowing.
// It is safe for concurrent use.
type Limiter struct {
	rate    Rate
	max     int
	seed    maphash.Seed
	shards  [16]limShard
	nowFunc func() time.Time
}

type limShard struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewLimiter returns buckets of rate r, holding at most maxKeys keys.
func NewLimiter(r Rate, maxKeys int) *Limiter {
	l := &Limiter{rate: r, max: max(maxKeys/16, 1), seed: maphash.MakeSeed(), nowFunc: time.Now}
	for i := range l.shards {
		l.shards[i].m = map[string]*bucket{}
	}
	return l
}

// Allow takes one token for key. When none is left it returns false and
// how long until one will be.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate.Unlimited() {
		return true, 0
	}
	burst := float64(max(l.rate.Burst, 1))
	now := l.nowFunc()
	s := &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.m[key]
	if b == nil {
		if len(s.m) >= l.max {
			s.evict(now, burst, l.rate.PerSecond)
		}
		b = &bucket{tokens: burst, last: now}
		s.m[key] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.last).Seconds()*l.rate.PerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	wait := time.Duration((1 - b.tokens) / l.rate.PerSecond * float64(time.Second))
	return false, wait
}

// evict drops buckets that have refilled (they hold no state worth
// keeping); if none has, it drops an arbitrary one.
func (s *limShard) evict(now time.Time, burst, perSecond float64) {
	n := 0
	for k, b := range s.m {
		if b.tokens+now.Sub(b.last).Seconds()*perSecond >= burst {
			delete(s.m, k)
			n++
		}
		if n >= 8 {
			return
		}
	}
	if n == 0 {
		for k := range s.m {
			delete(s.m, k)
			return
		}
	}
}
