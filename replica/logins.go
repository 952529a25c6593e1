package replica

import (
	"context"
	"encoding/hex"
	"time"
)

// Logins holds the records of logins under way (connect links, OAuth
// states) for every replica, so a browser may open a connect link on
// one replica and come back from Coze's consent page to another. Each
// value is sealed under the keyring, bound to its key: it may hold a PKCE
// verifier. Records lapse in Redis after their ttl.
type Logins struct{ s *Store }

// Logins returns the Store's login records. It needs Options.Keyring.
func (s *Store) Logins() *Logins {
	if s.kr == nil {
		panic("replica: Logins needs Options.Keyring to seal login records")
	}
	return &Logins{s: s}
}

// key is where id's value lives; its claim is key+":spent". The hash tag
// puts both in one Cluster slot, so Get reads them in one MGET.
func (l *Logins) key(id string) string {
	return l.s.opts.Prefix + "login:{" + hex.EncodeToString([]byte(id)) + "}"
}

// Put stores value under id for ttl.
func (l *Logins) Put(ctx context.Context, id string, value []byte, ttl time.Duration) error {
	k := l.key(id)
	sealed := l.s.kr.Seal("login", value, k)
	return l.s.call(ctx, "login.put", func(ctx context.Context) error {
		return l.s.rdb.Set(ctx, k, sealed, ttl).Err()
	})
}

// Get returns the value stored under id, nil when there is none (never
// stored, lapsed, or not readable with this keyring), and whether id was
// claimed.
func (l *Logins) Get(ctx context.Context, id string) ([]byte, bool, error) {
	k := l.key(id)
	var vals []any
	err := l.s.call(ctx, "login.get", func(ctx context.Context) error {
		var err error
		vals, err = l.s.rdb.MGet(ctx, k, k+":spent").Result()
		return err
	})
	if err != nil {
		return nil, false, err
	}
	spent := vals[1] != nil
	sealed, ok := vals[0].(string)
	if !ok {
		return nil, spent, nil
	}
	plain, err := l.s.kr.Open("login", []byte(sealed), k)
	if err != nil {
		return nil, spent, nil
	}
	return plain, spent, nil
}

// Claim marks id spent for ttl and reports whether this call did: of
// any number of replicas claiming one id, exactly one gets true.
func (l *Logins) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	k := l.key(id) + ":spent"
	var won bool
	err := l.s.call(ctx, "login.claim", func(ctx context.Context) error {
		var err error
		won, err = l.s.rdb.SetNX(ctx, k, 1, ttl).Result()
		return err
	})
	return won, err
}
