package broker

import (
	"context"
	"fmt"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Shared coordinates the caches of several replicas (package replica
// implements it over Redis). The Broker stays the first level: a hit is
// answered from memory and never waits on Shared; Shared is asked only
// when this replica must mint (a miss, or a token at its refresh point),
// under this replica's single flight for the key, so each replica has at
// most one call per key in progress.
//
// Implementations must be safe for concurrent use and must bound every
// wait on the shared store: when it is down or slow they call mint
// themselves (this replica then mints on its own), so a broken store
// never fails or stalls a request beyond its configured bound.
type Shared interface {
	// Mint returns key's next token, obtained once across all replicas:
	// a token another replica published that usable accepts (it is not
	// yet due for refresh) is returned as is; otherwise, under a lock
	// held by one replica at a time (with a lease, so a replica that
	// dies holding it cannot stall the others beyond the lease), the
	// holder reads again, calls mint and publishes the token until its
	// expiry, while the others wait for what it published — they never
	// fail because the lock was taken. upstream reports whether this
	// call's mint ran. Errors are mint's, or ctx's when it ends first.
	Mint(ctx context.Context, key string, usable func(*coze.Token) bool,
		mint func(context.Context) (*coze.Token, error)) (tok *coze.Token, upstream bool, err error)

	// Drop forgets key's published token if it is still stale (the
	// access token Coze refused), so no replica takes it from the store
	// again; a newer token published meanwhile is kept.
	Drop(ctx context.Context, key, stale string)
}

// obtain gets e's next token: through Shared when set, else upstream.
// upstream reports whether this replica minted it.
func (b *Broker) obtain(ctx context.Context, e *entry, set *appSet, reason string) (*coze.Token, bool, error) {
	src := set.sources[e.req.App]
	if src == nil {
		return nil, false, fmt.Errorf("%w %q", ErrUnknownApp, e.req.App)
	}
	r, err := e.request()
	if err != nil {
		return nil, false, err
	}
	mint := func(ctx context.Context) (*coze.Token, error) {
		if err := b.wait(ctx, e.req.App); err != nil {
			return nil, err
		}
		start := time.Now()
		tok, err := src.Mint(ctx, r)
		b.opts.Meter.Mint(e.req.App, reason, time.Since(start), err)
		return tok, err
	}
	if b.opts.Shared == nil {
		tok, err := mint(ctx)
		return tok, err == nil, err
	}
	usable := func(t *coze.Token) bool {
		n := time.Now()
		return t != nil && n.UnixNano() < b.fresh(t, n).refreshAt
	}
	return b.opts.Shared.Mint(ctx, e.key, usable, mint)
}

// dropShared tells Shared that Coze refused stale for key.
func (b *Broker) dropShared(ctx context.Context, key, stale string) {
	if b.opts.Shared != nil {
		b.opts.Shared.Drop(ctx, key, stale)
	}
}
