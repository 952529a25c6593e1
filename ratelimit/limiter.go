package ratelimit

import (
	"context"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// ErrLimited is Wait's answer when the key's next slot is further away
// than the caller would wait. Nothing was taken.
var ErrLimited = errors.New("rate limit reached")

// Limiter is a set of token buckets of one Rate, keyed by string (a
// client, an IP, an app), bounded in memory: when full, buckets that have
// refilled are dropped first (they hold nothing worth keeping), and only
// if none has, an arbitrary one, which then starts full again: the bound
// only ever errs toward allowing. The bound is kept per shard (keys are
// spread over 16 by a random hash), so a Limiter of one key, as the
// broker's per-app mint cap is, never evicts it; several keys that must
// never be handed a fresh burst need maxKeys well above their number. Each bucket's clock never steps back: a reading older than
// the bucket's latest counts as that latest, so readings that arrive out
// of order refill no interval twice. A nil *Limiter, or one of an
// Unlimited rate, allows everything and tracks nothing. A Limiter is safe
// for concurrent use.
type Limiter struct {
	rate    Rate
	burst   float64
	max     int // keys per shard
	seed    maphash.Seed
	shards  [16]shard
	nowFunc func() time.Time
	backend Backend // shared buckets (see Share); nil for none
	prefix  string
}

type shard struct {
	mu sync.Mutex
	m  map[string]*bucket
}

type bucket struct {
	tokens float64   // below zero while slots are promised to waiters
	last   time.Time // when tokens was computed; never moves back
	due    time.Time // when the latest slot taken is due
}

// New returns buckets of rate r on time.Now, holding at most maxKeys
// keys (at least 16: one per shard).
func New(r Rate, maxKeys int) *Limiter { return NewWithClock(r, maxKeys, time.Now) }

// NewWithClock is New on the clock now, which tests set. Wait still
// sleeps in real time (fake time under testing/synctest).
func NewWithClock(r Rate, maxKeys int, now func() time.Time) *Limiter {
	l := &Limiter{rate: r, burst: float64(max(r.Burst, 1)), max: max(maxKeys/16, 1), seed: maphash.MakeSeed(), nowFunc: now}
	for i := range l.shards {
		l.shards[i].m = map[string]*bucket{}
	}
	return l
}

// Allow takes one token from key's bucket. When none is left it takes
// nothing and returns false and how long until one will be; a refusal
// costs nothing, so a caller retrying at any pace still gets the rate.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	if l == nil || l.rate.Unlimited() {
		return true, 0
	}
	if allowed, wait, ok := l.sharedAllow(key); ok {
		return allowed, wait
	}
	s, b, now := l.lock(key)
	defer s.mu.Unlock()
	if b.tokens >= 1 {
		b.tokens--
		b.due = now
		return true, 0
	}
	return false, l.rate.durationOf(1 - b.tokens)
}

// Wait takes key's next slot and sleeps until it is due. When the slot is
// more than maxWait away it takes nothing and returns ErrLimited at once,
// so nothing queues beyond maxWait. If ctx ends first it returns
// ctx.Err() and hands the slot back; when slots were taken after it,
// they keep their times and less (or nothing) is handed back, so a slot
// given up in the middle of a queue is lost rather than given twice. A
// slot due now is taken even if ctx has already ended. Slots are handed out one at a time, in order, each at
// least 1/PerSecond after the one before once the burst is spent: however
// many goroutines wait, no more than Burst + PerSecond·t slots fall due
// in any interval t.
func (l *Limiter) Wait(ctx context.Context, key string, maxWait time.Duration) error {
	if l == nil || l.rate.Unlimited() {
		return nil
	}
	if err, handled := l.sharedWait(ctx, key, maxWait); handled {
		return err
	}
	s, b, now := l.lock(key)
	var d time.Duration
	if b.tokens < 1 {
		d = l.rate.durationOf(1 - b.tokens)
	}
	if d > maxWait {
		s.mu.Unlock()
		return ErrLimited
	}
	b.tokens--
	due := now.Add(d)
	b.due = due
	s.mu.Unlock()
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		l.handBack(key, b, due)
		return ctx.Err()
	}
}

// handBack returns the slot due at due to b, if that slot is still in the
// future: all of it when it is the latest taken, less when later slots
// were promised after it (their times were computed without it).
func (l *Limiter) handBack(key string, b *bucket, due time.Time) {
	s := l.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := l.advance(b)
	if !due.After(now) {
		return
	}
	restore := min(1, 1-b.due.Sub(due).Seconds()*l.rate.PerSecond)
	if restore <= 0 {
		return
	}
	b.tokens = min(l.burst, b.tokens+restore)
	if b.due.Equal(due) {
		if prev := due.Add(-l.rate.durationOf(1)); !prev.Before(now) {
			b.due = prev
		}
	}
}

func (l *Limiter) shard(key string) *shard {
	return &l.shards[maphash.String(l.seed, key)%uint64(len(l.shards))]
}

// lock locks key's shard and returns it with key's bucket, created full
// if absent, brought up to the bucket's now (which it also returns). The
// clock is read under the lock, so one bucket's readings are in order.
func (l *Limiter) lock(key string) (*shard, *bucket, time.Time) {
	s := l.shard(key)
	s.mu.Lock()
	b := s.m[key]
	if b == nil {
		now := l.nowFunc()
		if len(s.m) >= l.max {
			s.evict(now, l.burst, l.rate.PerSecond)
		}
		b = &bucket{tokens: l.burst, last: now}
		s.m[key] = b
		return s, b, now
	}
	return s, b, l.advance(b)
}

// advance refills b up to now, or to b.last if the clock reads earlier,
// and returns that time. The caller holds b's shard lock.
func (l *Limiter) advance(b *bucket) time.Time {
	now := l.nowFunc()
	if !now.After(b.last) {
		return b.last
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate.PerSecond)
	b.last = now
	return now
}

// evict drops up to 8 buckets that have refilled (they hold no state
// worth keeping); if none has, it drops an arbitrary one.
func (s *shard) evict(now time.Time, burst, perSecond float64) {
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
