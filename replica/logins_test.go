package replica_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/replica"
)

// TestLoginsShared: a login record put by one replica is read by another,
// sealed in Redis (the PKCE verifier it may hold is never in clear), and
// of many replicas claiming it at once exactly one wins; it lapses after
// its ttl; a replica with another store key cannot read it.
func TestLoginsShared(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(), c.node()
	ctx := t.Context()
	value := []byte(`{"verifier":"pkce-verifier-secret-value"}`)
	if err := a.store.Logins().Put(ctx, "state:s1", value, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, spent, err := b.store.Logins().Get(ctx, "state:s1")
	if err != nil || spent || !bytes.Equal(got, value) {
		t.Fatalf("the other replica read %q, spent %v, %v", got, spent, err)
	}
	rdb := a.store.Client()
	keys, _ := rdb.Keys(ctx, "*login*").Result()
	for _, k := range keys {
		raw, _ := rdb.Get(ctx, k).Bytes()
		if bytes.Contains(raw, []byte("pkce-verifier")) {
			t.Fatalf("Redis holds the verifier in clear under %s", k)
		}
	}

	var wins atomic.Int32
	var wg sync.WaitGroup
	for _, n := range append(c.nodes(6), a, b) {
		wg.Go(func() {
			won, err := n.store.Logins().Claim(ctx, "state:s1", time.Minute)
			if err != nil {
				t.Error(err)
			}
			if won {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Fatalf("%d replicas claimed the same login", wins.Load())
	}
	if _, spent, _ := b.store.Logins().Get(ctx, "state:s1"); !spent {
		t.Fatal("a claimed record does not read as spent")
	}

	if got, _, _ := a.store.Logins().Get(ctx, "link:never"); got != nil {
		t.Fatalf("an unknown id read %q", got)
	}
	if err := a.store.Logins().Put(ctx, "link:short", value, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if got, _, _ := b.store.Logins().Get(ctx, "link:short"); got != nil {
		t.Fatal("a record outlived its ttl")
	}

	other, err := grant.NewKeyring(grant.Key{ID: "k1", Secret: bytes.Repeat([]byte{9}, grant.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	o := c.opts
	o.Keyring = other
	o.Prefix = "cozeauth:" // the same keys, another store key
	// A replica with another store key is refused at Open (the store
	// keeps a key check); were it not, it could still not read the record.
	if stranger, err := replica.Open(context.Background(), o); err == nil {
		defer stranger.Close()
		if got, _, _ := stranger.Logins().Get(ctx, "state:s1"); got != nil {
			t.Fatal("a replica with another store key read the record")
		}
	} else if !errors.Is(err, grant.ErrWrongKey) {
		t.Fatalf("Open with another store key: %v", err)
	}
}
