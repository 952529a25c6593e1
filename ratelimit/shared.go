package ratelimit

import (
	"context"
	"time"
)

// Backend holds buckets outside the process (package replica keeps them
// in Redis, GCRA) so that several replicas share one rate: the sum of
// what all of them allow obeys it.
type Backend interface {
	// Allow takes one token from the bucket named name, of rate r. When
	// none is left it takes nothing and returns false and how long until
	// one will be. An error means the backend could not answer in time
	// (down, slow); the Limiter then decides alone, from its own buckets.
	Allow(name string, r Rate) (ok bool, wait time.Duration, err error)
}

// Share makes l answer through b, its buckets named prefix+key there, and
// returns l. Call it before l is used. While b answers, l's own buckets
// are not used; when b fails, l falls back to them (each replica then
// allows the full rate on its own, starting with a full burst).
func (l *Limiter) Share(b Backend, prefix string) *Limiter {
	if l != nil {
		l.backend, l.prefix = b, prefix
	}
	return l
}

// sharedAllow asks the backend; ok reports whether it answered.
func (l *Limiter) sharedAllow(key string) (allowed bool, wait time.Duration, ok bool) {
	if l.backend == nil {
		return false, 0, false
	}
	allowed, wait, err := l.backend.Allow(l.prefix+key, l.rate)
	return allowed, wait, err == nil
}

// sharedWait is Wait through the backend: it takes a token as soon as
// one is free, retrying after the wait the backend names, for at most
// maxWait. handled is false when the backend failed before any answer,
// and the caller should wait on its own buckets.
func (l *Limiter) sharedWait(ctx context.Context, key string, maxWait time.Duration) (err error, handled bool) {
	deadline := time.Now().Add(maxWait)
	for first := true; ; first = false {
		allowed, wait, ok := l.sharedAllow(key)
		switch {
		case !ok && first:
			return nil, false
		case !ok:
			return nil, false // the backend went away mid-wait: decide locally
		case allowed:
			return nil, true
		case time.Until(deadline) < wait:
			return ErrLimited, true
		}
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err(), true
		}
	}
}
