package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cozeauth/cozeauth/grant"
)

// ErrDegraded is returned, at once, for calls made while Redis is
// unreachable: the caller decides alone (tokens, limits) or fails
// (grants, which must not change without Redis's compare-and-swap).
var ErrDegraded = errors.New("the shared store (Redis) is unreachable: this replica is working on its own until it returns")

// Options configure a Store.
type Options struct {
	// URL is the store URL (see ParseURL); it may hold a password, which
	// never reaches logs or errors.
	URL string
	// Keyring seals what Redis holds (tokens, grants): the grant store's
	// keyring, the same on every replica. Required for Tokens and Grants;
	// revocations alone (`cozeauth keys revoke`) need none.
	Keyring *grant.Keyring
	// Timeout bounds every Redis answer; the URL's timeout=, else
	// DefaultTimeout.
	Timeout time.Duration
	// Lease is how long a mint lock is held without being renewed: a
	// replica that dies holding it delays the others by at most this
	// long. The holder renews it every Lease/3 while its mint runs; 5s.
	Lease time.Duration
	// Poll is how often a waiter for another replica's mint looks again,
	// besides being woken by pub/sub (a lost message, a holder that
	// died); 50ms.
	Poll time.Duration
	// Probe is how often Redis is pinged: when healthy, to notice it went
	// away without traffic; when degraded, to come back; 500ms.
	Probe time.Duration
	// Prefix starts every key and channel, so several deployments can
	// share one Redis; "cozeauth:".
	Prefix string
	// Log receives one line per change of mode (shared → degraded →
	// shared), never per request; discarded when nil.
	Log *slog.Logger
	// Observe, when set, is called after every Redis operation with its
	// name (for example "token.acquire", "grant.swap", "rate.allow"),
	// duration and error: the place to count Redis operations in metrics.
	Observe func(op string, d time.Duration, err error)
}

// Store is one replica's connection to the shared state. It is safe for
// concurrent use.
type Store struct {
	rdb     redis.UniversalClient
	opts    Options
	kr      *grant.Keyring
	id      string // this replica, to skip its own events
	shown   string // the URL without password
	ops     atomic.Int64
	down    atomic.Bool
	fails   atomic.Int32 // consecutive failed operations
	closed  atomic.Bool
	stop    chan struct{}
	wg      sync.WaitGroup
	waiters waiters
	events  events
	tokens  *Tokens
}

// Open connects to the store at o.URL. An unreachable Redis is not an
// error: the Store starts degraded (logged once) and joins as soon as
// Redis answers. A malformed URL, or a Redis whose key check shows
// another store key, is.
func Open(ctx context.Context, o Options) (*Store, error) {
	uo, timeout, err := ParseURL(o.URL)
	if err != nil {
		return nil, err
	}
	if o.Timeout <= 0 {
		o.Timeout = timeout
	}
	if o.Lease <= 0 {
		o.Lease = 5 * time.Second
	}
	if o.Poll <= 0 {
		o.Poll = 50 * time.Millisecond
	}
	if o.Probe <= 0 {
		o.Probe = 500 * time.Millisecond
	}
	if o.Prefix == "" {
		o.Prefix = "cozeauth:"
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	uo.ReadTimeout, uo.WriteTimeout = o.Timeout, o.Timeout
	quietRedis.Do(func() { redis.SetLogger(quiet{}) })
	s := &Store{rdb: redis.NewUniversalClient(uo), opts: o, kr: o.Keyring, id: randomID(), shown: Redact(o.URL), stop: make(chan struct{})}
	s.waiters.m = map[string][]chan struct{}{}
	s.events.init()
	if err := s.call(ctx, "ping", func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }); err != nil {
		s.down.Store(true)
		s.opts.Log.Warn("shared store unreachable: this replica mints and limits on its own until it answers", "store", s.shown, "err", err)
	} else if err := s.checkKey(ctx); err != nil {
		s.rdb.Close()
		return nil, err
	}
	s.wg.Add(2)
	go s.probe()
	go s.subscribe()
	return s, nil
}

// quietRedis silences go-redis's own log (a line per failed dial while
// Redis is down): the Store logs each change of mode once instead.
var quietRedis sync.Once

type quiet struct{}

func (quiet) Printf(context.Context, string, ...any) {}

// Close stops the Store's background work and closes its connections.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	close(s.stop)
	err := s.rdb.Close()
	s.wg.Wait()
	return err
}

// Degraded reports whether Redis is unreachable and this replica works
// on its own.
func (s *Store) Degraded() bool { return s.down.Load() }

// Ops is how many Redis operations this Store has sent.
func (s *Store) Ops() int64 { return s.ops.Load() }

// Client is the underlying go-redis client, for tests and tools.
func (s *Store) Client() redis.UniversalClient { return s.rdb }

// call runs one Redis operation bounded by Options.Timeout. While
// degraded it answers ErrDegraded at once. Two failures in a row (other
// than a miss, redis.Nil, or the caller's own cancellation) turn the
// Store degraded.
func (s *Store) call(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if s.closed.Load() {
		return fmt.Errorf("shared store: %w", grant.ErrClosed)
	}
	if s.down.Load() && op != "ping" {
		return ErrDegraded
	}
	cctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	start := time.Now()
	err := fn(cctx)
	s.ops.Add(1)
	if s.opts.Observe != nil {
		s.opts.Observe(op, time.Since(start), err)
	}
	if err == nil || errors.Is(err, redis.Nil) {
		s.fails.Store(0)
		return err
	}
	if ctx.Err() != nil {
		return err // the caller gave up: says nothing about Redis
	}
	// One slow answer is this call's alone (its caller decides without
	// Redis); two in a row, or the probe's ping after one, turn the
	// Store degraded, so a blip does not flap the mode.
	if s.fails.Add(1) >= 2 {
		s.degrade(err)
	}
	return fmt.Errorf("shared store %s: %s: %w (%v)", s.shown, op, ErrDegraded, err)
}

// degrade turns the Store degraded, logging the change once.
func (s *Store) degrade(err error) {
	if s.down.CompareAndSwap(false, true) {
		s.opts.Log.Warn("shared store unreachable: this replica serves the tokens it holds and mints and limits on its own until it answers",
			"store", s.shown, "err", err)
	}
}

// probe pings Redis every Options.Probe: it notices a Redis gone quiet,
// and brings the Store back to shared mode once Redis answers.
func (s *Store) probe() {
	defer s.wg.Done()
	t := time.NewTicker(s.opts.Probe)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		err := s.call(context.Background(), "ping", func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() })
		switch {
		case err != nil && !s.down.Load() && s.fails.Load() == 1:
			// Ping once more at once: two failures in a row degrade.
			_ = s.call(context.Background(), "ping", func(ctx context.Context) error { return s.rdb.Ping(ctx).Err() })
		case err == nil && s.down.Load():
			if err := s.checkKey(context.Background()); err != nil {
				s.opts.Log.Error("shared store answers but holds values sealed with another store key; staying on this replica alone", "store", s.shown, "err", err)
				continue
			}
			if s.down.CompareAndSwap(true, false) {
				s.opts.Log.Info("shared store reachable again: back to shared mode", "store", s.shown)
				s.catchUp()
			}
		}
	}
}

// checkKey compares the keyring with the key checks Redis records, and
// records the primary key's: replicas with different store keys would
// not read each other's values.
func (s *Store) checkKey(ctx context.Context) error {
	if s.kr == nil {
		return nil
	}
	key := s.opts.Prefix + "keycheck"
	var checks map[string]string
	err := s.call(ctx, "keycheck.get", func(ctx context.Context) error {
		var err error
		checks, err = s.rdb.HGetAll(ctx, key).Result()
		return err
	})
	if err != nil {
		return nil // unreachable: checked again when it answers
	}
	shared := 0
	for id, v := range checks {
		if err := s.kr.VerifyKeyCheck(id, []byte(v)); err != nil {
			return fmt.Errorf("shared store %s: %w", s.shown, err)
		}
		if s.kr.Has(id) {
			shared++
		}
	}
	if len(checks) > 0 && shared == 0 {
		return fmt.Errorf("shared store %s: %w: its values are sealed with key id(s) other than %q; give every replica the same store key (%s or store_key_file)",
			s.shown, grant.ErrWrongKey, s.kr.IDs(), grant.EnvStoreKey)
	}
	return s.call(ctx, "keycheck.set", func(ctx context.Context) error {
		return s.rdb.HSetNX(ctx, key, s.kr.Primary(), s.kr.KeyCheck("")).Err()
	})
}
