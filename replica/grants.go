package replica

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/redis/go-redis/v9"

	"github.com/cozeauth/cozeauth/grant"
)

// Grants is a grant.Store in Redis: each record sealed exactly as the
// file store seals it (AES-256-GCM under the keyring, bound to its app
// and subject), versions from one counter (INCR), and every
// compare-and-swap one script. All of an app's grants live in one hash
// (one Cluster slot): field "v:"+subject holds the version, "d:"+subject
// the sealed record.
//
// Durability is Redis's: run it with appendonly yes (appendfsync
// everysec or always) or a replica set that survives a restart, or
// users log in again after Redis loses its data.
type Grants struct {
	s      *Store
	closed atomic.Bool
}

var _ grant.Store = (*Grants)(nil)

// Grants returns the Store's grant.Store. It needs Options.Keyring.
// Closing it does not close the Store.
func (s *Store) Grants() *Grants {
	if s.kr == nil {
		panic("replica: Grants needs Options.Keyring to seal grants")
	}
	return &Grants{s: s}
}

func (g *Grants) appKey(app string) string {
	return g.s.opts.Prefix + "grants:" + hex.EncodeToString([]byte(app))
}

func (g *Grants) appsKey() string    { return g.s.opts.Prefix + "grant-apps" }
func (g *Grants) versionKey() string { return g.s.opts.Prefix + "grant-version" }

// swapScript writes the sealed record at version ARGV[4] if the stored
// version is ARGV[3]: 0 done, -1 not found, else the stored version.
var swapScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur then return -1 end
if cur ~= ARGV[3] then return tonumber(cur) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[4], ARGV[2], ARGV[5])
return 0`)

// delScript removes a grant: 1 done, 0 not found.
var delScript = redis.NewScript(`
if not redis.call('HGET', KEYS[1], ARGV[1]) then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1], ARGV[2])
return 1`)

func (g *Grants) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.closed.Load() {
		return grant.ErrClosed
	}
	return nil
}

// wrap says which store failed, never with a secret.
func (g *Grants) wrap(err error) error {
	if err == nil || grant.IsStoreError(err) || errors.Is(err, grant.ErrClosed) || errors.Is(err, grant.ErrWrongKey) || errors.Is(err, grant.ErrCorrupt) {
		return err
	}
	if errors.Is(err, ErrDegraded) {
		return fmt.Errorf("grant store in Redis: %w", err)
	}
	return fmt.Errorf("grant store in Redis %s: %w", g.s.shown, err)
}

// Get implements grant.Store.
func (g *Grants) Get(ctx context.Context, app, subject string) (*grant.Grant, error) {
	if err := g.begin(ctx); err != nil {
		return nil, err
	}
	if err := grant.CheckKey(app, subject); err != nil {
		return nil, err
	}
	var sealed string
	err := g.s.call(ctx, "grant.get", func(ctx context.Context) error {
		var err error
		sealed, err = g.s.rdb.HGet(ctx, g.appKey(app), "d:"+subject).Result()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, grant.NotFound(app, subject)
	}
	if err != nil {
		return nil, g.wrap(err)
	}
	return g.s.kr.OpenGrant(app, subject, []byte(sealed))
}

// next takes a new version from the store's counter.
func (g *Grants) next(ctx context.Context) (uint64, error) {
	var v int64
	err := g.s.call(ctx, "grant.version", func(ctx context.Context) error {
		var err error
		v, err = g.s.rdb.Incr(ctx, g.versionKey()).Result()
		return err
	})
	return uint64(v), err
}

// seal copies w, sets its version, and seals it.
func (g *Grants) seal(ctx context.Context, w *grant.Grant) (*grant.Grant, []byte, error) {
	v, err := g.next(ctx)
	if err != nil {
		return nil, nil, err
	}
	c := w.Clone()
	c.Version = v
	sealed, err := g.s.kr.SealGrant(c)
	return c, sealed, err
}

// Put implements grant.Store.
func (g *Grants) Put(ctx context.Context, w *grant.Grant) error {
	if err := w.Check(); err != nil {
		return err
	}
	if err := g.begin(ctx); err != nil {
		return err
	}
	c, sealed, err := g.seal(ctx, w)
	if err != nil {
		return g.wrap(err)
	}
	err = g.s.call(ctx, "grant.put", func(ctx context.Context) error {
		_, err := g.s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.SAdd(ctx, g.appsKey(), c.App)
			p.HSet(ctx, g.appKey(c.App), "v:"+c.Subject, strconv.FormatUint(c.Version, 10), "d:"+c.Subject, sealed)
			return nil
		})
		return err
	})
	if err != nil {
		return g.wrap(err)
	}
	w.Version = c.Version
	return nil
}

// swap writes c (sealed) if the stored version is old.
func (g *Grants) swap(ctx context.Context, op string, c *grant.Grant, sealed []byte, old uint64) error {
	var res int64
	err := g.s.call(ctx, op, func(ctx context.Context) error {
		var err error
		res, err = swapScript.Run(ctx, g.s.rdb, []string{g.appKey(c.App)}, "v:"+c.Subject, "d:"+c.Subject,
			strconv.FormatUint(old, 10), strconv.FormatUint(c.Version, 10), sealed).Int64()
		return err
	})
	switch {
	case err != nil:
		return g.wrap(err)
	case res == -1:
		return grant.NotFound(c.App, c.Subject)
	case res != 0:
		return grant.Conflict(c.App, c.Subject, old, uint64(res))
	}
	return nil
}

// Swap implements grant.Store: of several replicas holding the same
// version, exactly one wins; the others get grant.ErrConflict.
func (g *Grants) Swap(ctx context.Context, old, next *grant.Grant) error {
	if err := grant.CheckSwap(old, next); err != nil {
		return err
	}
	if err := g.begin(ctx); err != nil {
		return err
	}
	c, sealed, err := g.seal(ctx, next)
	if err != nil {
		return g.wrap(err)
	}
	if err := g.swap(ctx, "grant.swap", c, sealed, old.Version); err != nil {
		return err
	}
	next.Version = c.Version
	return nil
}

// MarkNeedsLogin implements grant.Store.
func (g *Grants) MarkNeedsLogin(ctx context.Context, app, subject string, version uint64, reason string) error {
	cur, err := g.Get(ctx, app, subject)
	if err != nil {
		return err
	}
	if cur.Version != version {
		return grant.Conflict(app, subject, version, cur.Version)
	}
	c, sealed, err := g.seal(ctx, grant.MarkedNeedsLogin(cur, reason))
	if err != nil {
		return g.wrap(err)
	}
	return g.swap(ctx, "grant.mark", c, sealed, version)
}

// Delete implements grant.Store.
func (g *Grants) Delete(ctx context.Context, app, subject string) error {
	if err := g.begin(ctx); err != nil {
		return err
	}
	var res int64
	err := g.s.call(ctx, "grant.delete", func(ctx context.Context) error {
		var err error
		res, err = delScript.Run(ctx, g.s.rdb, []string{g.appKey(app)}, "v:"+subject, "d:"+subject).Int64()
		return err
	})
	if err != nil {
		return g.wrap(err)
	}
	if res == 0 {
		return grant.NotFound(app, subject)
	}
	return nil
}

// List implements grant.Store.
func (g *Grants) List(ctx context.Context, app string) ([]grant.Meta, error) {
	if err := g.begin(ctx); err != nil {
		return nil, err
	}
	apps := []string{app}
	if app == "" {
		err := g.s.call(ctx, "grant.apps", func(ctx context.Context) error {
			var err error
			apps, err = g.s.rdb.SMembers(ctx, g.appsKey()).Result()
			return err
		})
		if err != nil {
			return nil, g.wrap(err)
		}
	}
	var out []grant.Meta
	for _, a := range apps {
		var all map[string]string
		err := g.s.call(ctx, "grant.list", func(ctx context.Context) error {
			var err error
			all, err = g.s.rdb.HGetAll(ctx, g.appKey(a)).Result()
			return err
		})
		if err != nil {
			return nil, g.wrap(err)
		}
		for f, v := range all {
			subject, ok := strings.CutPrefix(f, "d:")
			if !ok {
				continue
			}
			gr, err := g.s.kr.OpenGrant(a, subject, []byte(v))
			if err != nil {
				return nil, err
			}
			out = append(out, gr.Meta())
		}
	}
	grant.SortMetas(out)
	return out, nil
}

// Close implements grant.Store; it leaves the Store open.
func (g *Grants) Close() error {
	g.closed.Store(true)
	return nil
}
