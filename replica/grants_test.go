package replica_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/grant"
)

// TestGrantsStore: the Store contract over Redis: versions, compare-and-
// swap, needs-login, delete, list; records sealed as on disk, nothing
// secret in clear in Redis.
func TestGrantsStore(t *testing.T) {
	c := newCluster(t)
	a, b := c.node(), c.node()
	ga, gb := a.store.Grants(), b.store.Grants()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Second)
	g := &grant.Grant{App: "web", Subject: "alice", RefreshToken: "rt-secret-one", State: grant.Active, CreatedAt: now, RefreshedAt: now,
		Scope: []byte(`{"x":1}`)}
	if err := ga.Put(ctx, g); err != nil || g.Version == 0 {
		t.Fatalf("Put: %v, version %d", err, g.Version)
	}
	got, err := gb.Get(ctx, "web", "alice")
	if err != nil || got.RefreshToken != "rt-secret-one" || got.Version != g.Version || string(got.Scope) != `{"x":1}` {
		t.Fatalf("Get from another replica: %v %v", got, err)
	}
	// Two replicas holding the same version: exactly one swap wins.
	n1, n2 := got.Clone(), got.Clone()
	n1.RefreshToken, n2.RefreshToken = "rt-two-a", "rt-two-b"
	e1, e2 := ga.Swap(ctx, got, n1), gb.Swap(ctx, got, n2)
	if e1 != nil || !errors.Is(e2, grant.ErrConflict) {
		t.Fatalf("Swap: %v, %v; want nil and ErrConflict", e1, e2)
	}
	if strings.Contains(e2.Error(), "rt-") {
		t.Fatal("an error holds a refresh token")
	}
	if err := gb.MarkNeedsLogin(ctx, "web", "alice", got.Version, "old"); !errors.Is(err, grant.ErrConflict) {
		t.Fatalf("MarkNeedsLogin on a stale version: %v", err)
	}
	if err := gb.MarkNeedsLogin(ctx, "web", "alice", n1.Version, "refused\nforged"); err != nil {
		t.Fatal(err)
	}
	cur, _ := ga.Get(ctx, "web", "alice")
	if cur.State != grant.NeedsLogin || cur.RefreshToken != "" || strings.Contains(cur.Reason, "\n") {
		t.Fatalf("after MarkNeedsLogin: %v reason %q", cur, cur.Reason)
	}
	if err := ga.Put(ctx, &grant.Grant{App: "pkce", Subject: "bob", RefreshToken: "rt-bob", State: grant.Active}); err != nil {
		t.Fatal(err)
	}
	list, err := gb.List(ctx, "")
	if err != nil || len(list) != 2 || list[0].App != "pkce" || list[1].Subject != "alice" {
		t.Fatalf("List: %v %v", list, err)
	}
	// What Redis holds: sealed records that open as the file store's do,
	// and no refresh token in clear.
	rdb := a.store.Client()
	keys, _ := rdb.Keys(ctx, "*").Result()
	for _, k := range keys {
		if typ, _ := rdb.Type(ctx, k).Result(); typ == "hash" {
			all, _ := rdb.HGetAll(ctx, k).Result()
			for f, v := range all {
				if strings.Contains(v, "rt-") || strings.Contains(f, "rt-") {
					t.Fatalf("Redis holds a refresh token in clear under %s", k)
				}
			}
		}
	}
	raw, err := rdb.HGet(ctx, "cozeauth:grants:"+hex.EncodeToString([]byte("pkce")), "d:bob").Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if og, err := ring().OpenGrant("pkce", "bob", raw); err != nil || og.RefreshToken != "rt-bob" {
		t.Fatalf("the record does not open as a sealed grant: %v", err)
	}
	if _, err := ring().OpenGrant("pkce", "eve", raw); err == nil {
		t.Fatal("a record opened under another subject")
	}
	if err := gb.Delete(ctx, "web", "alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := ga.Get(ctx, "web", "alice"); !errors.Is(err, grant.ErrNotFound) {
		t.Fatalf("Get after Delete: %v", err)
	}
	if err := gb.Delete(ctx, "web", "alice"); !errors.Is(err, grant.ErrNotFound) {
		t.Fatalf("Delete twice: %v", err)
	}
	ga.Close()
	if _, err := ga.Get(ctx, "pkce", "bob"); !errors.Is(err, grant.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}

// TestWrongStoreKeyRefused: a replica with another store key cannot join.
func TestWrongStoreKeyRefused(t *testing.T) {
	c := newCluster(t)
	c.node()
	o := c.opts
	other, _ := grant.NewKeyring(grant.Key{ID: "k1", Secret: []byte(strings.Repeat("x", grant.KeySize))})
	o.Keyring = other
	if _, err := openStore(t, o); !errors.Is(err, grant.ErrWrongKey) {
		t.Fatalf("Open with another key under the same id: %v, want ErrWrongKey", err)
	}
}
