package broker

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// TestCacheBoundedInBytes reproduces the issue at small scale: 1 500
// sessions with an 8 KiB scope each, under a 4 MiB cap. Counted in
// entries (as before) the cache kept all 1 500, about 12 MiB of keys
// alone; counted in bytes it never holds more than MaxBytes.
func TestCacheBoundedInBytes(t *testing.T) {
	const maxBytes = 4 << 20
	b := newTestBroker(&fakeSource{life: time.Hour}, Options{MaxBytes: maxBytes})
	defer b.Close()
	var last Request
	for i := range 1500 {
		last = Request{App: "app", Session: fmt.Sprint("s", i), Scope: bigScope(8<<10, fmt.Sprint(i%10))}
		mustToken(t, b, last)
		if got := b.Stats().Bytes; got > maxBytes {
			t.Fatalf("after %d sessions the cache charges %d B, over MaxBytes %d", i+1, got, maxBytes)
		}
	}
	perEntry := b.cache.get(last.Key()).charged
	if n, most := int64(b.Len()), maxBytes/perEntry; n > most || n < most*3/4 {
		t.Fatalf("%d entries of about %d B each cached under %d B: want at most %d, and not far fewer", n, perEntry, maxBytes, most)
	}
	checkAccounting(t, b)
	hits(t, b, "the latest session", []Request{last})
}

// scopeSource records the Requests it is asked to mint.
type scopeSource struct {
	fakeSource
	mu   sync.Mutex
	seen []Request
}

func (s *scopeSource) Mint(ctx context.Context, r Request) (*coze.Token, error) {
	s.mu.Lock()
	s.seen = append(s.seen, r)
	s.mu.Unlock()
	return s.fakeSource.Mint(ctx, r)
}

// TestMintGetsScopeFromKey: an entry keeps its scope and session context
// only as the key's JSON; the Source still gets them exactly as asked,
// with an empty list still empty (not "no restriction") and an absent one
// still absent, and with the refresh of a hot entry too.
func TestMintGetsScopeFromKey(t *testing.T) {
	src := &scopeSource{fakeSource: fakeSource{life: time.Hour}}
	b := newTestBroker(src, Options{})
	defer b.Close()
	want := Request{App: "app", Owner: "be1#0a1b2c3d", Session: "u\"<1>", Duration: 600,
		SessionContext: &coze.SessionContext{DeviceInfo: &coze.DeviceInfo{DeviceID: "d&1"}},
		Scope: &coze.Scope{AccountPermission: &coze.AccountPermission{PermissionList: []string{}},
			WorkflowPermission: &coze.WorkflowPermission{WorkflowIDList: []string{"w1"}}}}
	mustToken(t, b, want)
	e := b.cache.get(want.Key())
	if e == nil || e.req.Scope != nil || e.req.SessionContext != nil {
		t.Fatal("the cached entry keeps decoded scope or session context besides its key")
	}
	e.st.Store(emptyState) // force a second mint, from the entry alone
	mustToken(t, b, want)
	src.mu.Lock()
	defer src.mu.Unlock()
	for i, got := range src.seen {
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("mint %d got %+v (scope %+v), want %+v (scope %+v)", i, got, got.Scope, want, want.Scope)
		}
	}
	if len(src.seen) != 2 || src.seen[1].Scope.WorkspacePermission != nil || src.seen[1].Scope.AccountPermission.PermissionList == nil {
		t.Fatalf("mints %d; an absent part must stay absent and an empty list empty", len(src.seen))
	}
}

// TestOwnerFloodCannotEvictOthers: owner A caches 100 tokens, then owner B
// asks for 100 000 distinct sessions (or, in bytes, 2 000 with 8 KiB
// scopes). Before the per-owner share, the flood pushed every one of A's
// tokens out. Now B, once over its share, makes room with its own entries
// only: A's 100 all still hit. A third owner C arriving later takes its
// room from B (over its share), not from A.
func TestOwnerFloodCannotEvictOthers(t *testing.T) {
	for _, tc := range []struct {
		name  string
		opts  Options
		flood int
		scope func(int) *coze.Scope
	}{
		{"entries", Options{MaxEntries: 1000}, 100_000, func(int) *coze.Scope { return nil }},
		{"bytes", Options{MaxBytes: 2 << 20}, 2000, func(i int) *coze.Scope { return bigScope(8<<10, fmt.Sprint(i%10)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := &fakeSource{life: time.Hour}
			b := newTestBroker(src, tc.opts)
			defer b.Close()
			a := sessions("A#00000001", "a", 100)
			for _, r := range a {
				mustToken(t, b, r)
			}
			held := b.OwnerUsage("A#00000001")
			for i := range tc.flood {
				mustToken(t, b, Request{App: "app", Owner: "B#00000002", Session: fmt.Sprint("flood-", i), Scope: tc.scope(i)})
			}
			if got := b.OwnerUsage("A#00000001"); got != held {
				t.Fatalf("owner A held %+v before the flood, %+v after", held, got)
			}
			hits(t, b, "owner A after B's flood", a)
			if st := b.Stats(); st.Owners != 2 || b.OwnerUsage("B#00000002").Entries == 0 {
				t.Fatalf("stats %+v: the flooder should hold the rest of the cache", st)
			}
			checkAccounting(t, b)

			c := sessions("C#00000003", "c", 50)
			for _, r := range c {
				mustToken(t, b, r)
			}
			hits(t, b, "owner A after C's arrival", a)
			hits(t, b, "owner C", c)
			checkAccounting(t, b)
		})
	}
}

// TestEntryOverShareIsNotCached: in a full cache, a token whose entry
// alone is more than its owner's share is minted and served but not kept:
// keeping it would take other owners' room. Open mode (owner "") has no
// share limit.
func TestEntryOverShareIsNotCached(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{MaxBytes: 64 << 10}) // share: 16 KiB
	defer b.Close()
	for _, r := range sessions("be2#00000002", "s", 200) { // fills the cache
		mustToken(t, b, r)
	}
	full := b.OwnerUsage("be2#00000002")
	big := bigScope(20<<10, "1")
	keyed := Request{App: "app", Owner: "be1#00000001", Session: "s", Scope: big}
	for range 2 {
		if _, out := mustToken(t, b, keyed); out != Minted {
			t.Fatal("an entry bigger than its owner's share was cached in a full cache")
		}
	}
	if got := b.OwnerUsage("be2#00000002"); got != full || b.OwnerUsage("be1#00000001") != (Usage{}) {
		t.Fatalf("the other owner held %+v, now %+v", full, got)
	}
	open := Request{App: "app", Session: "s", Scope: big}
	mustToken(t, b, open)
	if _, out := mustToken(t, b, open); out != Hit {
		t.Fatal("open mode (owner \"\") was held to a share")
	}
	checkAccounting(t, b)
}

// TestConcurrentAccounting runs inserts, hits, evictions, Invalidate,
// DropOwner and sweeps at once (for the race detector) and then checks
// the books.
func TestConcurrentAccounting(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{MaxEntries: 200, MaxBytes: 256 << 10, SweepEvery: time.Millisecond})
	defer b.Close()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 1500 {
				r := Request{App: "app", Owner: fmt.Sprint("o", (g+i)%4), Session: fmt.Sprint(i % 300)}
				if i%7 == 0 {
					r.Scope = bigScope(2<<10, fmt.Sprint(g))
				}
				tok, _, err := b.Token(t.Context(), r)
				if err != nil {
					t.Error(err)
					return
				}
				switch i % 50 {
				case 1:
					b.Invalidate(t.Context(), r, tok.AccessToken)
				case 2:
					b.DropOwner(r.Owner)
				}
			}
		})
	}
	wg.Wait()
	checkAccounting(t, b)
	for o := range 4 {
		b.DropOwner(fmt.Sprint("o", o))
	}
	if st := b.Stats(); st.Entries != 0 || st.Bytes != 0 || st.Owners != 0 {
		t.Fatalf("stats %+v after dropping every owner, want nothing held", st)
	}
}

// TestAccountingCoversHeap: the bytes charged for hot entries are at
// least the heap they hold, measured after a collection.
func TestAccountingCoversHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures the heap")
	}
	b := newTestBroker(&fakeSource{life: time.Hour}, Options{})
	defer b.Close()
	before := liveHeap()
	for _, r := range sessions("be1#00000001", "user-", 20_000) {
		mustToken(t, b, r)
		mustToken(t, b, r) // hot: arms its refresh timer
	}
	heap, charged := liveHeap()-before, b.Stats().Bytes
	if heap > charged {
		t.Fatalf("20 000 entries hold %d B of heap, charged only %d B", heap, charged)
	}
	t.Logf("heap %d B, charged %d B (%.0f B per entry)", heap, charged, float64(heap)/20_000)
}
