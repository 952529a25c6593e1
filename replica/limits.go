package replica

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"github.com/cozeauth/cozeauth/ratelimit"
)

// Limits is the ratelimit.Backend of a Store: GCRA buckets in Redis
// (github.com/go-redis/redis_rate, on Redis's clock, so replicas' clocks
// need not agree), shared by all replicas.
type Limits struct {
	s *Store
	l *redis_rate.Limiter
}

var _ ratelimit.Backend = (*Limits)(nil)

// Limits returns the Store's shared rate limit buckets.
func (s *Store) Limits() *Limits { return &Limits{s: s, l: redis_rate.NewLimiter(s.rdb)} }

// Allow implements ratelimit.Backend. While Redis is unreachable it
// answers ErrDegraded at once, and the caller counts alone.
func (l *Limits) Allow(name string, r ratelimit.Rate) (bool, time.Duration, error) {
	lim := limitOf(r)
	var res *redis_rate.Result
	err := l.s.call(context.Background(), "rate.allow", func(ctx context.Context) error {
		var err error
		res, err = l.l.Allow(ctx, l.s.opts.Prefix+"rate:"+name, lim)
		return err
	})
	if err != nil {
		return false, 0, err
	}
	if res.Allowed > 0 {
		return true, 0, nil
	}
	return false, max(res.RetryAfter, 0), nil
}

// limitOf is r as redis_rate's GCRA sees it: one event per 1/PerSecond,
// Burst at once (at least 1).
func limitOf(r ratelimit.Rate) redis_rate.Limit {
	return redis_rate.Limit{Rate: 1, Burst: max(r.Burst, 1), Period: time.Duration(float64(time.Second) / r.PerSecond)}
}
