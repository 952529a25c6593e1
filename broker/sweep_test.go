package broker

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// TestSweepDropsExpired: once every token is past its stale point, and
// failures past their backoff, one sweep interval later the cache holds
// nothing and charges nothing. Before the sweeper, expired entries stayed
// until pushed out (310 MB held 15 minutes after all had expired).
func TestSweepDropsExpired(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ok, bad := &fakeSource{life: 900 * time.Second}, &fakeSource{life: 900 * time.Second}
		bad.failWith(errors.New("upstream down"))
		b := New(map[string]Source{"app": ok, "bad": bad}, Options{SweepEvery: time.Minute})
		defer b.Close()
		for o := range 3 {
			for _, r := range sessions(fmt.Sprint("be", o), "s", 50) {
				mustToken(t, b, r)
				b.Token(t.Context(), Request{App: "bad", Owner: r.Owner, Session: r.Session})
			}
		}
		mustToken(t, b, Request{App: "app", Session: "hot"})
		mustToken(t, b, Request{App: "app", Session: "hot"}) // refreshed ahead: kept
		if st := b.Stats(); st.Entries != 301 || st.Bytes == 0 {
			t.Fatalf("stats %+v, want 301 entries", st)
		}
		time.Sleep(60 * time.Second) // failures are past their backoff
		synctest.Wait()
		if n := b.Len(); n != 151 {
			t.Fatalf("%d entries after the failures' backoff and a sweep, want 151", n)
		}
		time.Sleep(810 * time.Second) // stale at 870 s
		if n := b.Len(); n != 151 {
			t.Fatalf("%d entries before the tokens are stale, want 151", n)
		}
		time.Sleep(60 * time.Second) // one sweep interval after
		synctest.Wait()
		if st := b.Stats(); st.Entries != 1 || b.OwnerUsage("").Entries != 1 || st.Owners != 1 {
			t.Fatalf("stats %+v one sweep after every cold token went stale, want the hot entry only", st)
		}
		checkAccounting(t, b)
		time.Sleep(900 * time.Second) // the hot entry was not used again
		synctest.Wait()
		if st := b.Stats(); st.Entries != 0 || st.Bytes != 0 || st.Owners != 0 {
			t.Fatalf("stats %+v, want an empty cache charging nothing", st)
		}
		// The sweeper ended with the cache empty; a new entry restarts it.
		mustToken(t, b, Request{App: "app", Session: "later"})
		time.Sleep(1000 * time.Second)
		synctest.Wait()
		if n := b.Len(); n != 0 {
			t.Fatalf("%d entries: the sweeper did not restart", n)
		}
	})
}

// TestSweepKeepsEntryBeingRefreshed: a hot entry whose background refresh
// is still under way when its token goes stale is not swept, and gets the
// refreshed token.
func TestSweepKeepsEntryBeingRefreshed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		var hold atomic.Pointer[chan struct{}]
		gated := SourceFunc(func(ctx context.Context, r Request) (*coze.Token, error) {
			if g := hold.Load(); g != nil {
				select {
				case <-*g:
				case <-ctx.Done():
					return nil, ctx.Err()
				}
			}
			return src.Mint(ctx, r)
		})
		b := newTestBroker(gated, Options{SweepEvery: time.Minute, MintTimeout: time.Hour})
		defer b.Close()
		r := Request{App: "app", Session: "hot"}
		mustToken(t, b, r)
		mustToken(t, b, r) // hot: refreshed at 810 s
		gate := make(chan struct{})
		hold.Store(&gate)
		time.Sleep(1000 * time.Second) // stale at 870 s; sweeps at 900, 960
		synctest.Wait()
		if n, calls := b.Len(), src.calls.Load(); n != 1 || calls != 1 {
			t.Fatalf("%d entries, %d mints done: the entry being refreshed was swept", n, calls)
		}
		close(gate)
		synctest.Wait()
		if _, out := mustToken(t, b, r); out != Hit || src.calls.Load() != 2 {
			t.Fatal("the refreshed token was not kept")
		}
	})
}

// TestDroppedHotEntryStopsItsTimer: an entry evicted, dropped by
// DropOwner, DropApp or Replace has its refresh timer stopped:
// no background mint ever runs for it, and nothing keeps it alive.
func TestDroppedHotEntryStopsItsTimer(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, c := &fakeSource{life: 900 * time.Second}, &fakeSource{life: 900 * time.Second}
		b := New(map[string]Source{"a": a, "c": c}, Options{MaxEntries: 4})
		defer b.Close()
		hot := func(r Request) *entry {
			mustToken(t, b, r)
			mustToken(t, b, r)
			e := b.cache.get(r.Key())
			if h := e.hot.Load(); h == nil || h.timer == nil {
				t.Fatalf("%+v: no refresh timer armed", r)
			}
			return e
		}
		evicted := hot(Request{App: "a", Owner: "be2", Session: "old"})
		time.Sleep(time.Second)
		byOwner := hot(Request{App: "a", Owner: "be1", Session: "s"})
		byApp := hot(Request{App: "c", Owner: "be2", Session: "s"})
		time.Sleep(time.Second)
		for _, r := range sessions("be2", "new", 2) { // the second is over be2's share: evicts be2's oldest
			r.App = "a"
			mustToken(t, b, r)
		}
		if n1, n2 := b.DropOwner("be1"), b.DropApp("c"); n1 != 1 || n2 != 1 {
			t.Fatalf("DropOwner dropped %d, DropApp %d; want 1 each", n1, n2)
		}
		b.DropApp("a")
		replaced := hot(Request{App: "a", Owner: "be3", Session: "s"})
		if n := b.Replace(map[string]Source{"a": &fakeSource{life: 900 * time.Second}, "c": c}, nil); n != 1 {
			t.Fatalf("Replace dropped %d, want 1", n)
		}
		for name, e := range map[string]*entry{"DropOwner": byOwner, "DropApp": byApp, "eviction": evicted, "Replace": replaced} {
			if h := e.hot.Load(); !e.evicted.Load() || h.timer != nil || b.cache.get(e.key) == e {
				t.Fatalf("%s: entry still cached or its timer still set", name)
			}
		}
		before := a.calls.Load() + c.calls.Load()
		time.Sleep(900 * time.Second) // past every refresh point
		synctest.Wait()
		if got := a.calls.Load() + c.calls.Load(); got != before {
			t.Fatalf("%d background mints for dropped entries", got-before)
		}
		if st := b.Stats(); st.Entries != 0 || st.Bytes != 0 {
			t.Fatalf("stats %+v, want an empty cache", st)
		}
	})
}

// TestDropsKeepAccounting: Invalidate, DropOwner, DropApp and Replace
// leave the byte accounting exact, down to zero.
func TestDropsKeepAccounting(t *testing.T) {
	a, c := &fakeSource{life: time.Hour}, &fakeSource{life: time.Hour}
	b := New(map[string]Source{"a": a, "c": c}, Options{})
	defer b.Close()
	for _, app := range []string{"a", "c"} {
		for _, owner := range []string{"be1", "be2", ""} {
			for i := range 20 {
				mustToken(t, b, Request{App: app, Owner: owner, Session: fmt.Sprint(i), Scope: bigScope(1<<10, owner)})
			}
		}
	}
	checkAccounting(t, b)
	r := Request{App: "a", Owner: "be1", Session: "3", Scope: bigScope(1<<10, "be1")}
	tok, _ := mustToken(t, b, r)
	b.Invalidate(t.Context(), r, tok.AccessToken)
	checkAccounting(t, b)
	mustToken(t, b, r)
	checkAccounting(t, b)
	if n := b.DropOwner("be1"); n != 40 || b.OwnerUsage("be1") != (Usage{}) {
		t.Fatalf("DropOwner dropped %d, left %+v", n, b.OwnerUsage("be1"))
	}
	checkAccounting(t, b)
	if n := b.DropApp("c"); n != 40 {
		t.Fatalf("DropApp dropped %d, want 40", n)
	}
	checkAccounting(t, b)
	if n := b.Replace(map[string]Source{"a": &fakeSource{life: time.Hour}}, nil); n != 40 {
		t.Fatalf("Replace dropped %d, want 40", n)
	}
	if st := b.Stats(); st.Entries != 0 || st.Bytes != 0 || st.Owners != 0 {
		t.Fatalf("stats %+v after every entry was dropped, want zero", st)
	}
	checkAccounting(t, b)
}
