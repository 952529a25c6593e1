package replica_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// fanIn asks for r from every node at once, perNode callers each, and
// returns the access tokens handed out and the errors.
func fanIn(t *testing.T, nodes []*node, r broker.Request, perNode int) (map[string]int, []error) {
	t.Helper()
	var mu sync.Mutex
	toks := map[string]int{}
	var errs []error
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, n := range nodes {
		for range perNode {
			wg.Go(func() {
				<-start
				tok, _, err := n.b.Token(context.Background(), r)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				toks[tok.AccessToken]++
			})
		}
	}
	close(start)
	wg.Wait()
	return toks, errs
}

// TestColdFanInMintsOnce: a cold session asked of three replicas at once
// is minted once in total; every caller gets that token.
func TestColdFanInMintsOnce(t *testing.T) {
	c := newCluster(t)
	nodes := c.nodes(3)
	r := broker.Request{App: "jwt", Session: "cold"}
	toks, errs := fanIn(t, nodes, r, 100)
	if len(errs) > 0 {
		t.Fatalf("%d callers failed, first: %v", len(errs), errs[0])
	}
	if got := c.emu.MintsFor(jwtClient, "cold"); got != 1 || len(toks) != 1 {
		t.Fatalf("Coze minted %d tokens for the session (callers saw %d distinct), want 1; logs: %s %s %s", got, len(toks), nodes[0].logs, nodes[1].logs, nodes[2].logs)
	}
	var upstream int64
	for _, n := range nodes {
		upstream += n.b.Stats().Mints
	}
	if upstream != 1 {
		t.Fatalf("brokers count %d upstream mints, want 1", upstream)
	}
}

// TestRefreshRedeemedOnce: a rotating refresh token under contention
// from three replicas is redeemed once per round; the rotated token is
// saved in Redis by compare-and-swap and the next round uses it.
func TestRefreshRedeemedOnce(t *testing.T) {
	c := newCluster(t)
	nodes := c.nodes(3)
	now := time.Now().UTC()
	g := &grant.Grant{App: "web", Subject: "alice", User: user, RefreshToken: c.emu.IssueRefreshToken(webClient, user),
		State: grant.Active, CreatedAt: now, RefreshedAt: now}
	if err := nodes[0].store.Grants().Put(t.Context(), g); err != nil {
		t.Fatal(err)
	}
	r := broker.Request{App: "web", Session: "alice"}
	for round := 1; round <= 3; round++ {
		toks, errs := fanIn(t, nodes, r, 30)
		if len(errs) > 0 {
			t.Fatalf("round %d: %d callers failed, first: %v", round, len(errs), errs[0])
		}
		if len(toks) != 1 {
			t.Fatalf("round %d: callers saw %d distinct tokens, want 1", round, len(toks))
		}
		if got := c.emu.MintsByGrant(emulator.GrantRefreshToken); got != round {
			t.Fatalf("round %d: %d refresh redemptions in total, want %d", round, got, round)
		}
		if d := c.emu.DoubleRedemptions(); d != 0 {
			t.Fatalf("round %d: %d refresh tokens redeemed twice", round, d)
		}
		// The token is gone everywhere (as after Coze refused it): the
		// next round must refresh again.
		for tok := range toks {
			nodes[0].store.Tokens().Drop(t.Context(), r.Key(), tok)
			for _, n := range nodes {
				n.b.DropSession("web", "alice")
			}
		}
	}
	cur, err := nodes[2].store.Grants().Get(t.Context(), "web", "alice")
	if err != nil || cur.RefreshToken == g.RefreshToken {
		t.Fatalf("the rotated refresh token was not saved: %v", err)
	}
}

// TestSharedLimit: three replicas share one bucket: together they allow
// the burst, not three bursts.
func TestSharedLimit(t *testing.T) {
	c := newCluster(t)
	nodes := c.nodes(3)
	rate := ratelimit.Rate{PerSecond: 0.001, Burst: 5}
	lims := make([]*ratelimit.Limiter, len(nodes))
	for i, n := range nodes {
		lims[i] = ratelimit.New(rate, 100).Share(n.store.Limits(), "key:p:")
	}
	allowed := 0
	for range 4 {
		for _, l := range lims {
			if ok, _ := l.Allow("client-a"); ok {
				allowed++
			}
		}
	}
	if allowed != 5 {
		t.Fatalf("three replicas allowed %d, want the shared burst of 5", allowed)
	}
	if ok, _ := lims[0].Allow("client-b"); !ok {
		t.Fatal("another key's bucket was spent too")
	}
}

// TestSharedMintRate: an app's mint_rate holds across replicas: distinct
// cold sessions over three replicas start no more than the burst.
func TestSharedMintRate(t *testing.T) {
	c := newCluster(t)
	var nodes []*node
	for range 3 {
		n := c.node()
		n.b.Close()
		st := n.store
		srcs := map[string]broker.Source{"jwt": broker.SourceFunc(func(ctx context.Context, r broker.Request) (*tokenT, error) {
			return fakeToken(r.Session), nil
		})}
		n.b = broker.New(srcs, broker.Options{Shared: st.Tokens(), SharedLimits: st.Limits(),
			MintRate: map[string]ratelimit.Rate{"jwt": {PerSecond: 0.001, Burst: 4}}, MintWait: time.Millisecond})
		t.Cleanup(n.b.Close)
		nodes = append(nodes, n)
	}
	ok, throttled := 0, 0
	for i := range 12 {
		_, _, err := nodes[i%3].b.Token(t.Context(), broker.Request{App: "jwt", Session: "s" + string(rune('a'+i))})
		switch {
		case err == nil:
			ok++
		case errors.Is(err, broker.ErrThrottled):
			throttled++
		default:
			t.Fatal(err)
		}
	}
	if ok != 4 || throttled != 8 {
		t.Fatalf("%d mints allowed, %d throttled over three replicas; want 4 and 8 (one shared mint_rate)", ok, throttled)
	}
}

// TestRevocationPropagates: a revocation through one replica reaches
// the others (refused, tokens dropped) without any file change.
func TestRevocationPropagates(t *testing.T) {
	c := newCluster(t)
	nodes := c.nodes(3)
	var dropped atomic.Int32
	got := make(chan string, 4)
	for _, n := range nodes[1:] {
		n.store.OnRevoke(func(ids []string) {
			for _, id := range ids {
				dropped.Add(1)
				got <- id
			}
		})
	}
	start := time.Now()
	nodes[0].store.Revoke([]string{"alice#0123abcd"})
	for range 2 {
		select {
		case id := <-got:
			if id != "alice#0123abcd" {
				t.Fatalf("revoked %q", id)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a replica never heard of the revocation")
		}
	}
	t.Logf("revocation reached both other replicas in %v", time.Since(start))
	for i, n := range nodes {
		if !n.store.Revoked("alice#0123abcd") {
			t.Fatalf("replica %d does not refuse the revoked key", i)
		}
		if n.store.Revoked("bob#0123abcd") {
			t.Fatalf("replica %d refuses a key nobody revoked", i)
		}
	}
	// A replica that starts later learns it from Redis.
	late := c.node()
	deadline := time.Now().Add(10 * time.Second)
	for !late.store.Revoked("alice#0123abcd") {
		if time.Now().After(deadline) {
			t.Fatal("a replica started after the revocation does not know it")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if strings.Contains(nodes[0].logs.String(), "unreachable") {
		t.Fatalf("unexpected degradation: %s", nodes[0].logs.String())
	}
}
