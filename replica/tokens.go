package replica

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
)

// Tokens is the broker.Shared of a Store: the cross-replica single
// flight and second-level token cache.
//
// Redis holds, per cache key, under a hash of it (no session, client or
// app name in clear): the token sealed with the store key, its
// fingerprint (to drop only the token Coze refused), expiring with the
// token; and the mint lock, a random value with a lease.
type Tokens struct{ s *Store }

var _ broker.Shared = (*Tokens)(nil)

// Tokens returns the Store's broker.Shared. It needs Options.Keyring.
func (s *Store) Tokens() *Tokens {
	if s.kr == nil {
		panic("replica: Tokens needs Options.Keyring to seal tokens")
	}
	return &Tokens{s: s}
}

// keys of one cache key: its token and its lock, one hash slot (Cluster).
func (t *Tokens) keys(key string) (h, tok, lock string) {
	sum := sha256.Sum256([]byte(key))
	h = hex.EncodeToString(sum[:16])
	base := t.s.opts.Prefix + "{" + h + "}:"
	return h, base + "tok", base + "lock"
}

func fingerprint(access string) string {
	sum := sha256.Sum256([]byte(access))
	return hex.EncodeToString(sum[:8])
}

// acquire reads the published token and takes the lock if it is free,
// in one round trip: {1 if taken, sealed token or false}.
var acquire = redis.NewScript(`
local v = redis.call('HGET', KEYS[1], 'v')
local got = 0
if redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then got = 1 end
return {got, v}`)

// publish stores the sealed token until its expiry, releases the lock if
// still held by us, and wakes the waiters, in one round trip.
var publish = redis.NewScript(`
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'fp', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[4] then redis.call('DEL', KEYS[2]) end
redis.call('PUBLISH', ARGV[5], ARGV[6])
return 1`)

// release drops the lock if still ours and wakes the waiters, so one of
// them takes over at once (our mint failed, or another's token served).
var release = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`)

// renew extends the lock's lease if still ours.
var renew = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`)

// drop deletes the token if it is still the one refused.
var drop = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'fp') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// Mint implements broker.Shared: lock, read again, mint, publish,
// unlock; waiters take the published token. With Redis unreachable (or
// failing mid-way) it calls mint itself: this replica then mints on its
// own, under the broker's per-replica single flight.
func (t *Tokens) Mint(ctx context.Context, key string, usable func(*coze.Token) bool,
	mint func(context.Context) (*coze.Token, error)) (*coze.Token, bool, error) {
	s := t.s
	h, tokKey, lockKey := t.keys(key)
	owner := randomID()
	var wake chan struct{}
	for {
		var res []any
		err := s.call(ctx, "token.acquire", func(ctx context.Context) error {
			var err error
			res, err = acquire.Run(ctx, s.rdb, []string{tokKey, lockKey}, owner, s.opts.Lease.Milliseconds()).Slice()
			return err
		})
		if err != nil {
			if ctx.Err() != nil {
				return nil, false, ctx.Err()
			}
			tok, err := mint(ctx)
			return tok, err == nil, err
		}
		got, _ := res[0].(int64)
		sealed, _ := res[1].(string)
		if tok := t.open(h, sealed); tok != nil && usable(tok) {
			if got == 1 {
				t.release(lockKey, owner, h)
			}
			return tok, false, nil
		}
		if got == 1 {
			return t.mintHeld(ctx, h, tokKey, lockKey, owner, mint)
		}
		// Another replica holds the lock: wait for what it publishes, or
		// for its lease to lapse, then look again. Never fail for that.
		if wake == nil {
			var cancel func()
			wake, cancel = s.waiters.watch(h)
			defer cancel()
			continue // published between acquire and watch? look once more
		}
		timer := time.NewTimer(s.opts.Poll)
		select {
		case <-wake:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return nil, false, ctx.Err()
		}
		timer.Stop()
	}
}

// mintHeld mints while holding the lock, renewing its lease, and
// publishes the token.
func (t *Tokens) mintHeld(ctx context.Context, h, tokKey, lockKey, owner string, mint func(context.Context) (*coze.Token, error)) (*coze.Token, bool, error) {
	s := t.s
	done := make(chan struct{})
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		tk := time.NewTicker(s.opts.Lease / 3)
		defer tk.Stop()
		for {
			select {
			case <-done:
				return
			case <-tk.C:
				_ = s.call(context.Background(), "token.renew", func(ctx context.Context) error {
					return renew.Run(ctx, s.rdb, []string{lockKey}, owner, s.opts.Lease.Milliseconds()).Err()
				})
			}
		}
	}()
	tok, err := mint(ctx)
	close(done)
	<-renewed
	if err != nil {
		t.release(lockKey, owner, h)
		return nil, true, err
	}
	ttl := time.Until(tok.ExpiresAt)
	if ttl <= 0 {
		t.release(lockKey, owner, h)
		return tok, true, nil
	}
	pub := *tok
	pub.RefreshToken = "" // the grant store keeps refresh tokens, not the cache
	plain, _ := json.Marshal(&pub)
	sealed := s.kr.Seal("token", plain, h)
	_ = s.call(ctx, "token.publish", func(ctx context.Context) error {
		return publish.Run(ctx, s.rdb, []string{tokKey, lockKey}, sealed, fingerprint(tok.AccessToken),
			max(ttl.Milliseconds(), 1), owner, s.opts.Prefix+chanMinted, h).Err()
	})
	return tok, true, nil
}

func (t *Tokens) release(lockKey, owner, h string) {
	s := t.s
	_ = s.call(context.Background(), "token.release", func(ctx context.Context) error {
		return release.Run(ctx, s.rdb, []string{lockKey}, owner, s.opts.Prefix+chanMinted, h).Err()
	})
}

// open unseals a published token; nil when absent or unreadable.
func (t *Tokens) open(h, sealed string) *coze.Token {
	if sealed == "" {
		return nil
	}
	plain, err := t.s.kr.Open("token", []byte(sealed), h)
	if err != nil {
		return nil
	}
	var tok coze.Token
	if json.Unmarshal(plain, &tok) != nil || tok.AccessToken == "" {
		return nil
	}
	return &tok
}

// Drop implements broker.Shared.
func (t *Tokens) Drop(ctx context.Context, key, stale string) {
	s := t.s
	_, tokKey, _ := t.keys(key)
	// When Redis is unreachable there is nothing more to do: the token
	// expires there with its Coze expiry.
	_ = s.call(ctx, "token.drop", func(ctx context.Context) error {
		return drop.Run(ctx, s.rdb, []string{tokKey}, fingerprint(stale)).Err()
	})
}
