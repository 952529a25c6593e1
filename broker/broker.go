package broker

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// Options tune a Broker. Zero values take the documented defaults.
type Options struct {
	// MaxBytes bounds the cache's memory: every cached entry is charged
	// its key (app, session, owner and the JSON of its scope and
	// session_context), its token and a fixed per-entry overhead measured
	// for its bookkeeping, each rounded up as the allocator does, so the
	// charge bounds the heap the entries hold; 128 MiB. MaxEntries bounds
	// their number as well; 100000. An entry with no scope is charged
	// about 0.8 KB, so MaxEntries binds first for those and MaxBytes for
	// entries with large scopes. Stats reports the bytes charged.
	MaxBytes   int64
	MaxEntries int
	// OwnerShare is the fraction of MaxBytes and of MaxEntries one owner
	// (Request.Owner) may hold while the cache is full; 0.25. When a new
	// entry needs room, an owner that would hold more than its share
	// makes room with its own least recently used entries only (an entry
	// bigger than the share is then minted but not cached); any other
	// owner's newcomer first evicts entries of owners holding more than
	// their share, and only when nobody does, the least recently used of
	// a sample of all entries. The guarantee: an insert for one owner
	// evicts another owner's entry only while the inserting owner holds
	// no more than its share, so a client flooding the cache with new
	// sessions displaces at most OwnerShare of it from the others; and
	// an owner within its share loses entries to others' inserts only
	// while no owner holds more than its share. Owner "" (open mode: one
	// user) has no share limit and may use the whole cache.
	OwnerShare float64
	// SweepEvery is how often entries that can serve nothing are dropped:
	// a token past its stale point that no refresh is renewing, a failure
	// past its backoff; 1m.
	SweepEvery  time.Duration
	Skew        time.Duration // a token is never served within Skew of its expiry; 30s
	MinAhead    time.Duration // refresh at least this long before expiry; 60s
	MintTimeout time.Duration // one mint, retries included; 30s
	WaitTimeout time.Duration // how long a caller waits for a mint; 20s
	// Shared, when set, coordinates this Broker with other replicas
	// (package replica over Redis): a cold key is minted once across all
	// of them and the token is taken from there on a miss. Hits never
	// consult it. Nil: everything stays in this process.
	Shared Shared
	// MintRate caps upstream mints per app (the Coze quota), however
	// many distinct sessions arrive: no more than Burst + PerSecond·t
	// mints start in any interval t. A mint waits at most MintWait
	// (default 2s) for its turn, then fails with ErrThrottled. An app
	// absent or Unlimited has no cap.
	MintRate map[string]ratelimit.Rate
	MintWait time.Duration
	// SharedLimits, when set, holds the MintRate buckets for all
	// replicas (package replica: Redis), so their sum obeys MintRate;
	// while it fails each replica applies MintRate on its own.
	SharedLimits ratelimit.Backend
	// RetryWindow is how often Invalidate may drop one key's token: a
	// second 401 within it is passed to the caller instead of minting
	// again; 30s.
	RetryWindow time.Duration
	// Meter receives each upstream mint (reason, latency, error); a no-op
	// when nil.
	Meter meter.Meter
}

// ErrThrottled means the app's mint rate cap was reached; retry shortly.
var ErrThrottled = errors.New("too many new tokens requested for this app right now; retry shortly")

// ErrUnknownApp is returned for a Request naming no configured app.
var ErrUnknownApp = errors.New("unknown app")

// Outcome says how a token was obtained.
type Outcome int

// Outcomes of Broker.Token.
const (
	Hit    Outcome = iota // served from the cache
	Minted                // minted upstream (or fetched from the shared store) for this call
)

func (o Outcome) String() string {
	if o == Hit {
		return "hit"
	}
	return "mint"
}

// Broker hands out tokens for Requests, minting each kind once and reusing
// it until a refresh point. It is safe for concurrent use.
type Broker struct {
	set       atomic.Pointer[appSet]
	replaceMu sync.Mutex
	opts      Options
	cache     *cache
	closed    atomic.Bool
	bg        sync.WaitGroup

	hits, mints, failures atomic.Int64
}

// New returns a Broker over one Source per app name.
func New(sources map[string]Source, o Options) *Broker {
	if o.MaxEntries <= 0 {
		o.MaxEntries = 100_000
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = 128 << 20
	}
	if o.OwnerShare <= 0 || o.OwnerShare > 1 {
		o.OwnerShare = 0.25
	}
	if o.SweepEvery <= 0 {
		o.SweepEvery = time.Minute
	}
	if o.Skew <= 0 {
		o.Skew = 30 * time.Second
	}
	if o.MinAhead <= 0 {
		o.MinAhead = 60 * time.Second
	}
	if o.MintTimeout <= 0 {
		o.MintTimeout = 30 * time.Second
	}
	if o.WaitTimeout <= 0 {
		o.WaitTimeout = 20 * time.Second
	}
	if o.MintWait <= 0 {
		o.MintWait = 2 * time.Second
	}
	if o.RetryWindow <= 0 {
		o.RetryWindow = 30 * time.Second
	}
	o.Meter = meter.Or(o.Meter)
	b := &Broker{opts: o, cache: newCache(newLimits(o))}
	b.cache.sw = sweeper{every: o.SweepEvery, retry: int64(o.RetryWindow), stop: make(chan struct{})}
	b.set.Store(newAppSet(sources, o.MintRate, nil, o.SharedLimits))
	return b
}

// Token returns a token for r: from the cache when one is fresh, else from
// the one mint in flight for r's key. A token inside its refresh-ahead
// window is still served while a background mint replaces it.
func (b *Broker) Token(ctx context.Context, r Request) (*coze.Token, Outcome, error) {
	return b.TokenAt(ctx, r, time.Now())
}

// TokenAt is Token for a caller that has just read the clock for itself
// (the token handler, for its audit line): the broker judges freshness at
// at instead of reading the clock again.
func (b *Broker) TokenAt(ctx context.Context, r Request, at time.Time) (*coze.Token, Outcome, error) {
	set := b.set.Load()
	flight := set.flights[r.App]
	if flight == nil {
		return nil, Minted, fmt.Errorf("%w %q", ErrUnknownApp, r.App)
	}
	// A hit looks the key up without making it a string.
	var kb [128]byte
	kbuf := r.appendKey(kb[:0])
	now := at.UnixNano()
	if e := b.cache.getBytes(kbuf); e != nil {
		e.lastUse.Store(now)
		st := e.st.Load()
		if st.has() && now < st.staleAt {
			if now >= st.refreshAt {
				if st.fail == nil || now >= st.fail.until {
					b.refreshAsync(e)
				}
			} else if h := e.hot.Load(); h == nil || h.armed.Load() != st {
				b.scheduleRefresh(e, st)
			}
			b.hits.Add(1)
			return &st.tok, Hit, nil
		}
		if st.fail != nil && now < st.fail.until {
			b.failures.Add(1)
			return nil, Minted, st.fail.err
		}
	}
	key := string(kbuf)
	e := b.cache.getOrAdd(key, r, now)
	ctx, cancel := context.WithTimeout(ctx, b.opts.WaitTimeout)
	defer cancel()
	ch := flight.DoChan(key, func() (any, error) { return b.mint(e, meter.ForRequest) })
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, Minted, res.Err
		}
		return res.Val.(*coze.Token), Minted, nil
	case <-ctx.Done():
		return nil, Minted, ctx.Err()
	}
}

// Invalidate is told that Coze refused the access token stale (HTTP 401)
// for r. It reports whether the caller may try once more with a fresh
// token:
//   - true when another caller already replaced stale (the retry gets the
//     new token), or when stale was dropped now, so the retry mints anew;
//   - false when r's token was already dropped within RetryWindow: an API
//     path that refuses every token must not cost a mint per call, so the
//     401 goes back to the caller and the token everyone in the session
//     shares is kept.
//
// Call it on every 401, whether or not the request can be replayed, so a
// revoked token is not served until its refresh point.
func (b *Broker) Invalidate(ctx context.Context, r Request, stale string) bool {
	key := r.Key()
	e := b.cache.get(key)
	if e == nil {
		b.dropShared(ctx, key, stale)
		return true
	}
	st := e.st.Load()
	if st.has() && st.tok.AccessToken != stale {
		return true
	}
	now := time.Now().UnixNano()
	last := e.dropped.Load()
	if last != 0 && now-last < int64(b.opts.RetryWindow) {
		// Dropped moments ago: a mint under way will serve the retry; a
		// token minted since then is the one Coze refuses again.
		return !st.has()
	}
	if !e.dropped.CompareAndSwap(last, now) {
		return true // a concurrent caller is dropping it this instant
	}
	b.cache.swap(e, st, &state{})
	b.dropShared(ctx, key, stale)
	return true
}

// Len is the number of cached entries.
func (b *Broker) Len() int { return b.cache.len() }

// Close stops background refreshes and the sweeper, and waits for those
// under way. The Broker still answers Token afterwards.
func (b *Broker) Close() {
	b.closed.Store(true)
	b.cache.close()
	b.bg.Wait()
}

// mint obtains a new token for e (through Options.Shared when set) and
// records the outcome in e. Callers run it under the key's single flight; reason is
// what the meter is told (meter.ForRequest, meter.ForRefresh).
func (b *Broker) mint(e *entry, reason string) (*coze.Token, error) {
	e.minting.Add(1)
	defer e.minting.Add(-1)
	now := time.Now()
	// A caller that missed the cache just before the previous flight
	// landed must not start a second mint.
	if st := e.st.Load(); st.has() && now.UnixNano() < st.refreshAt {
		return &st.tok, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), b.opts.MintTimeout)
	defer cancel()
	set := b.set.Load()
	tok, upstream, err := b.obtain(ctx, e, set, reason)
	if errors.Is(err, ErrUnknownApp) {
		return nil, err
	}
	if errors.Is(err, ErrThrottled) {
		// Nothing was minted: an entry added for this request alone must
		// not hold a cache slot, or a flood of throttled one-off sessions
		// would evict other callers' tokens.
		if e.st.Load() == emptyState {
			b.cache.remove(e.key, e)
		}
		return nil, err
	}
	now = time.Now()
	prev := e.st.Load()
	status := set.status[e.req.App]
	if err != nil {
		b.failures.Add(1)
		status.fail(now, err)
		f := &failure{err: err, count: 1, size: failureSize(err)}
		if prev.fail != nil {
			f.count = prev.fail.count + 1
		}
		f.until = now.Add(failureBackoff(f.count, err)).UnixNano()
		next := &state{fail: f}
		if prev.has() && now.UnixNano() < prev.staleAt {
			next.tok, next.refreshAt, next.staleAt = prev.tok, prev.refreshAt, prev.staleAt
		}
		b.cache.set(e, next)
		return nil, err
	}
	if upstream {
		b.mints.Add(1)
	}
	status.ok(now)
	st := b.fresh(tok, now)
	b.cache.set(e, st)
	return &st.tok, nil
}

// wait takes the app's next mint slot, or fails at once with
// ErrThrottled when it is further away than MintWait. Nothing is queued
// beyond that, and a throttled key is not negatively cached.
func (b *Broker) wait(ctx context.Context, app string) error {
	l := b.set.Load().limits[app]
	if l == nil {
		return nil
	}
	err := l.Wait(ctx, app, b.opts.MintWait)
	if errors.Is(err, ratelimit.ErrLimited) {
		b.failures.Add(1)
		return ErrThrottled
	}
	return err
}

// fresh computes the serving window of tok: refresh when less than
// max(10% of its lifetime, MinAhead) remains, never serve past expiry
// minus Skew. For short tokens both margins shrink to keep half the
// lifetime usable.
func (b *Broker) fresh(tok *coze.Token, now time.Time) *state {
	life := tok.ExpiresAt.Sub(now)
	skew := min(b.opts.Skew, life/4)
	ahead := min(max(life/10, b.opts.MinAhead), life/2)
	st := &state{tok: *tok, refreshAt: tok.ExpiresAt.Add(-ahead).UnixNano(), staleAt: tok.ExpiresAt.Add(-skew).UnixNano()}
	if st.tok.TokenType == bearer {
		st.tok.TokenType = bearer // one copy for every state
	}
	return st
}

// failureBackoff is how long a failure is answered from memory: 1s
// doubling to 30s, or Coze's Retry-After when longer.
func failureBackoff(n int, err error) time.Duration {
	d := time.Second << min(n-1, 5)
	d = min(d, 30*time.Second)
	if ce, ok := coze.AsError(err); ok && ce.RetryAfter > d {
		d = ce.RetryAfter
	}
	return d
}
