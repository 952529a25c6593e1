package broker

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// fakeSource mints tokens of a fixed lifetime, counting calls; gate, when
// set, holds every mint until closed; fail makes mints fail.
type fakeSource struct {
	life  time.Duration
	calls atomic.Int64
	gate  chan struct{}
	fail  atomic.Pointer[error]
}

func (f *fakeSource) Mint(ctx context.Context, r Request) (*coze.Token, error) {
	n := f.calls.Add(1)
	if f.gate != nil {
		select {
		case <-f.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if p := f.fail.Load(); p != nil {
		return nil, *p
	}
	return &coze.Token{AccessToken: fmt.Sprintf("czs_%s_%d", r.Session, n), TokenType: "Bearer",
		ExpiresAt: time.Now().Add(f.life).Truncate(time.Second)}, nil
}

func (f *fakeSource) failWith(err error) { f.fail.Store(&err) }

func newTestBroker(src Source, o Options) *Broker {
	return New(map[string]Source{"app": src}, o)
}

func mustToken(t *testing.T, b *Broker, r Request) (*coze.Token, Outcome) {
	t.Helper()
	tok, out, err := b.Token(t.Context(), r)
	if err != nil {
		t.Fatalf("Token(%+v): %v", r, err)
	}
	return tok, out
}

func TestSingleFlightColdRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second, gate: make(chan struct{})}
		b := newTestBroker(src, Options{})
		defer b.Close()
		const n = 1000
		var wg sync.WaitGroup
		toks := make([]string, n)
		for i := range n {
			wg.Go(func() {
				tok, _, err := b.Token(context.Background(), Request{App: "app", Session: "s"})
				if err != nil {
					t.Error(err)
					return
				}
				toks[i] = tok.AccessToken
			})
		}
		synctest.Wait() // every caller is now waiting on the one flight
		close(src.gate)
		wg.Wait()
		if got := src.calls.Load(); got != 1 {
			t.Fatalf("%d concurrent cold requests made %d mints, want 1", n, got)
		}
		for i, tk := range toks {
			if tk != toks[0] {
				t.Fatalf("caller %d got %q, caller 0 got %q", i, tk, toks[0])
			}
		}
	})
}

func TestHitServesCachedToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "u1"}
		first, out := mustToken(t, b, r)
		if out != Minted {
			t.Fatalf("first call outcome %v, want mint", out)
		}
		time.Sleep(800 * time.Second) // refresh point is 900-90 = 810 s
		again, out := mustToken(t, b, r)
		if out != Hit || again != first || src.calls.Load() != 1 {
			t.Fatalf("at 800s: outcome %v, same token %v, mints %d; want a hit on the first token", out, again == first, src.calls.Load())
		}
	})
}

func TestHotKeyRefreshedAheadInBackground(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "hot"}
		first, _ := mustToken(t, b, r)
		mustToken(t, b, r) // used again: hot
		time.Sleep(811 * time.Second)
		synctest.Wait()
		if got := src.calls.Load(); got != 2 {
			t.Fatalf("hot key: %d mints by 811s, want 2 (background refresh at 810s)", got)
		}
		tok, out := mustToken(t, b, r)
		if out != Hit || tok == first {
			t.Fatalf("after refresh: outcome %v, new token %v; want a hit on the refreshed token", out, tok != first)
		}
	})
}

func TestColdKeyLapses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		b := newTestBroker(src, Options{})
		defer b.Close()
		mustToken(t, b, Request{App: "app", Session: "once"})
		time.Sleep(2000 * time.Second)
		synctest.Wait()
		if got := src.calls.Load(); got != 1 {
			t.Fatalf("a token asked for once was minted %d times, want 1", got)
		}
	})
}

func TestRefreshWindowServesWithoutWaiting(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "w"}
		first, _ := mustToken(t, b, r)
		src.gate = make(chan struct{}) // the next mint hangs
		time.Sleep(850 * time.Second)  // inside [810s, 870s)
		tok, out := mustToken(t, b, r)
		if out != Hit || tok != first {
			t.Fatalf("in refresh window: outcome %v; want the cached token at once", out)
		}
		for range 100 {
			mustToken(t, b, r)
		}
		synctest.Wait()
		if got := src.calls.Load(); got != 2 {
			t.Fatalf("%d mints, want exactly 1 background refresh", got-1)
		}
		close(src.gate)
		synctest.Wait()
		tok, _ = mustToken(t, b, r)
		if tok == first {
			t.Fatal("refreshed token not served after the background mint finished")
		}
	})
}

func TestNeverServedPastSkew(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		b := newTestBroker(src, Options{Skew: 30 * time.Second})
		defer b.Close()
		r := Request{App: "app", Session: "x"}
		mustToken(t, b, r)
		src.failWith(errors.New("coze down"))
		time.Sleep(871 * time.Second) // expiry 900 minus skew 30
		if tok, _, err := b.Token(t.Context(), r); err == nil {
			t.Fatalf("served %q 29s before expiry while refresh fails", tok.AccessToken)
		}
	})
}

func TestFailureIsNegativelyCachedNotStored(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		src.failWith(&coze.Error{Status: 401, Code: "invalid_client", Message: "invalid jwt: kid not been registred", LogID: "L1"})
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "f"}
		for range 50 {
			_, _, err := b.Token(t.Context(), r)
			if ce, ok := coze.AsError(err); !ok || ce.LogID != "L1" {
				t.Fatalf("err = %v, want the Coze error with its log id", err)
			}
		}
		if got := src.calls.Load(); got != 1 {
			t.Fatalf("50 requests during a failure made %d upstream calls, want 1", got)
		}
		src.fail.Store(nil)
		time.Sleep(1100 * time.Millisecond)
		tok, out := mustToken(t, b, r)
		if out != Minted || tok == nil || src.calls.Load() != 2 {
			t.Fatalf("after backoff: outcome %v mints %d, want a fresh mint", out, src.calls.Load())
		}
		if st := b.Status()["app"]; st.LastError != "" || st.LastMint.IsZero() {
			t.Fatalf("status after recovery = %+v", st)
		}
	})
}

func TestFailedRefreshKeepsValidToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: 900 * time.Second}
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "k"}
		first, _ := mustToken(t, b, r)
		src.failWith(errors.New("boom"))
		time.Sleep(820 * time.Second)
		for range 20 {
			if tok, _ := mustToken(t, b, r); tok.AccessToken != first.AccessToken {
				t.Fatal("a failed refresh replaced a still-valid token")
			}
			synctest.Wait()
		}
		if got := src.calls.Load(); got != 2 {
			t.Fatalf("%d refresh attempts within the backoff, want 1", got-1)
		}
		if b.Status()["app"].LastError == "" {
			t.Fatal("status does not report the failed refresh")
		}
	})
}

func TestKeysSeparateTokens(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{})
	defer b.Close()
	scope := &coze.Scope{AccountPermission: &coze.AccountPermission{PermissionList: []string{"Connector.botChat"}}}
	reqs := []Request{
		{App: "app"},
		{App: "app", Session: "a"},
		{App: "app", Session: "b"},
		{App: "app", Session: "a", Duration: 600},
		{App: "app", Session: "a", Scope: scope},
		{App: "app", Session: "a", SessionContext: &coze.SessionContext{DeviceInfo: &coze.DeviceInfo{DeviceID: "d1"}}},
	}
	for _, r := range reqs {
		mustToken(t, b, r)
	}
	for _, r := range reqs {
		if _, out := mustToken(t, b, r); out != Hit {
			t.Fatalf("%+v: second call outcome %v, want hit", r, out)
		}
	}
	if got := src.calls.Load(); got != int64(len(reqs)) {
		t.Fatalf("%d mints for %d distinct requests", got, len(reqs))
	}
	if (&Request{App: "app", Duration: 900}).Key() != (&Request{App: "app"}).Key() {
		t.Fatal("the default duration and 900 should share a key")
	}
}

func TestBoundedLRU(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{MaxEntries: 100})
	defer b.Close()
	hot := Request{App: "app", Session: "hot"}
	mustToken(t, b, hot)
	for i := range 5000 {
		mustToken(t, b, Request{App: "app", Session: fmt.Sprint("flood-", i)})
		if i%10 == 0 {
			mustToken(t, b, hot)
		}
	}
	if n := b.Len(); n > 100 {
		t.Fatalf("cache holds %d entries, max 100", n)
	}
	before := src.calls.Load()
	if _, out := mustToken(t, b, hot); out != Hit || src.calls.Load() != before {
		t.Fatal("a frequently used key was evicted by a flood of one-off keys")
	}
}

func TestUnknownApp(t *testing.T) {
	b := newTestBroker(&fakeSource{life: time.Hour}, Options{})
	if _, _, err := b.Token(t.Context(), Request{App: "nope"}); !errors.Is(err, ErrUnknownApp) {
		t.Fatalf("err = %v, want ErrUnknownApp", err)
	}
}

func TestWaiterCancelDoesNotCancelMint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: time.Hour, gate: make(chan struct{})}
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "c"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		if _, _, err := b.Token(ctx, r); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
		close(src.gate)
		synctest.Wait()
		if _, out := mustToken(t, b, r); out != Hit {
			t.Fatal("the mint a timed-out caller started was not kept for the next caller")
		}
	})
}

func TestInvalidate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: time.Hour}
		b := newTestBroker(src, Options{RetryWindow: 30 * time.Second})
		defer b.Close()
		r := Request{App: "app", Session: "i"}
		first, _ := mustToken(t, b, r)
		if !b.Invalidate(t.Context(), r, "czs_some_other_token") {
			t.Fatal("a 401 for a token already replaced must allow a retry")
		}
		if tok, out := mustToken(t, b, r); out != Hit || tok.AccessToken != first.AccessToken {
			t.Fatal("Invalidate dropped a token other than the stale one")
		}
		if !b.Invalidate(t.Context(), r, first.AccessToken) {
			t.Fatal("the first 401 must drop the token and allow a retry")
		}
		second, out := mustToken(t, b, r)
		if out != Minted || second.AccessToken == first.AccessToken {
			t.Fatal("Invalidate did not force a new mint")
		}
		// A path that refuses every token: the second 401 inside the
		// window keeps the session's token and passes the 401 on.
		if b.Invalidate(t.Context(), r, second.AccessToken) {
			t.Fatal("a second 401 within the retry window allowed another mint")
		}
		if tok, out := mustToken(t, b, r); out != Hit || tok.AccessToken != second.AccessToken {
			t.Fatal("a 401 within the window dropped the session's shared token")
		}
		time.Sleep(31 * time.Second)
		if !b.Invalidate(t.Context(), r, second.AccessToken) {
			t.Fatal("after the window a 401 must drop the token again")
		}
		if _, out := mustToken(t, b, r); out != Minted {
			t.Fatal("no new mint after the window")
		}
		if got := src.calls.Load(); got != 3 {
			t.Fatalf("%d mints, want 3", got)
		}
	})
}

// TestInvalidateAlwaysRefusingPath: 40 calls to a path that answers 401
// every time cost at most one extra mint per window, not one per call.
func TestInvalidateAlwaysRefusingPath(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: time.Hour}
		b := newTestBroker(src, Options{})
		defer b.Close()
		r := Request{App: "app", Session: "p"}
		for range 40 {
			tok, _ := mustToken(t, b, r)
			if b.Invalidate(t.Context(), r, tok.AccessToken) {
				mustToken(t, b, r) // the one replay
			}
		}
		if got := src.calls.Load(); got != 2 {
			t.Fatalf("40 refused calls made %d mints, want 2", got)
		}
	})
}

func TestReplaceDropsChangedAppsOnly(t *testing.T) {
	a, c := &fakeSource{life: time.Hour}, &fakeSource{life: time.Hour}
	b := New(map[string]Source{"a": a, "c": c}, Options{})
	defer b.Close()
	ra, rc := Request{App: "a", Session: "s"}, Request{App: "c", Session: "s"}
	mustToken(t, b, ra)
	mustToken(t, b, rc)
	a2 := &fakeSource{life: time.Hour}
	if n := b.Replace(map[string]Source{"a": a2, "c": c}, nil); n != 1 {
		t.Fatalf("Replace dropped %d tokens, want 1 (app a's)", n)
	}
	if _, out := mustToken(t, b, rc); out != Hit {
		t.Fatal("an unchanged app lost its cached token")
	}
	if _, out := mustToken(t, b, ra); out != Minted || a2.calls.Load() != 1 || a.calls.Load() != 1 {
		t.Fatal("a changed app's next mint did not use the new source")
	}
	b.Replace(map[string]Source{"a": a2}, nil)
	if _, _, err := b.Token(t.Context(), rc); !errors.Is(err, ErrUnknownApp) {
		t.Fatalf("removed app: err = %v, want ErrUnknownApp", err)
	}
}

func TestDropOwner(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{})
	defer b.Close()
	mine := Request{App: "app", Session: "s", Owner: "be1"}
	theirs := Request{App: "app", Session: "s", Owner: "be2"}
	t1, _ := mustToken(t, b, mine)
	t2, _ := mustToken(t, b, theirs)
	if t1.AccessToken == t2.AccessToken {
		t.Fatal("two owners share one token")
	}
	if n := b.DropOwner("be1"); n != 1 {
		t.Fatalf("DropOwner dropped %d, want 1", n)
	}
	if _, out := mustToken(t, b, theirs); out != Hit {
		t.Fatal("DropOwner dropped another owner's token")
	}
	if _, out := mustToken(t, b, mine); out != Minted {
		t.Fatal("the dropped owner's token was still served")
	}
}

// mapShared is a Shared store in a map, standing in for Redis: one lock
// for all keys, held while minting.
type mapShared struct {
	mu sync.Mutex
	m  map[string]*coze.Token
}

func (s *mapShared) Mint(ctx context.Context, k string, usable func(*coze.Token) bool, mint func(context.Context) (*coze.Token, error)) (*coze.Token, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.m[k]; t != nil && usable(t) {
		return t, false, nil
	}
	t, err := mint(ctx)
	if err == nil {
		s.m[k] = t
	}
	return t, err == nil, err
}

func (s *mapShared) Drop(_ context.Context, k, stale string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.m[k]; t != nil && t.AccessToken == stale {
		delete(s.m, k)
	}
}

func TestSharedStoreAcrossReplicas(t *testing.T) {
	shared := &mapShared{m: map[string]*coze.Token{}}
	src := &fakeSource{life: time.Hour}
	a := newTestBroker(src, Options{Shared: shared})
	b := newTestBroker(src, Options{Shared: shared})
	r := Request{App: "app", Session: "s"}
	ta, _ := mustToken(t, a, r)
	tb, _ := mustToken(t, b, r)
	if ta.AccessToken != tb.AccessToken || src.calls.Load() != 1 {
		t.Fatalf("two replicas made %d mints, want 1 shared", src.calls.Load())
	}
	if sa, sb := a.Stats().Mints, b.Stats().Mints; sa+sb != 1 {
		t.Fatalf("Stats count %d+%d upstream mints, want 1", sa, sb)
	}
	// Coze refused the token: b drops it from the store too, and the
	// next miss mints once more.
	b.Invalidate(context.Background(), r, tb.AccessToken)
	if tc, out := mustToken(t, b, r); out != Minted || tc.AccessToken == tb.AccessToken || src.calls.Load() != 2 {
		t.Fatalf("after Invalidate: %v, %d mints", out, src.calls.Load())
	}
}

func TestTransportInjectsToken(t *testing.T) {
	var got string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get("Authorization") }))
	defer srv.Close()
	b := newTestBroker(&fakeSource{life: time.Hour}, Options{})
	c := &http.Client{Transport: &Transport{Source: b.Source(Request{App: "app", Session: "t"})}}
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header.Set("Authorization", "Bearer caller")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got != "Bearer czs_t_1" {
		t.Fatalf("upstream saw Authorization %q", got)
	}
	if req.Header.Get("Authorization") != "Bearer caller" {
		t.Fatal("Transport modified the caller's request")
	}
}

// TestLateMissDoesNotMintAgain: a caller that saw an empty entry just
// before the flight landed joins after it; it must reuse the result.
func TestLateMissDoesNotMintAgain(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{})
	r := Request{App: "app", Session: "late"}
	e := b.cache.getOrAdd(r.Key(), r, time.Now().UnixNano())
	if _, err := b.mint(e, meter.ForRequest); err != nil {
		t.Fatal(err)
	}
	if _, err := b.mint(e, meter.ForRequest); err != nil { // what the late caller's flight runs
		t.Fatal(err)
	}
	if got := src.calls.Load(); got != 1 {
		t.Fatalf("a late flight minted again: %d mints", got)
	}
}

func TestMintRateCapsDistinctSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		src := &fakeSource{life: time.Hour}
		b := New(map[string]Source{"app": src}, Options{MintRate: map[string]ratelimit.Rate{"app": {PerSecond: 5, Burst: 5}}, MintWait: time.Second})
		defer b.Close()
		var ok, throttled atomic.Int64
		var wg sync.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				_, _, err := b.Token(context.Background(), Request{App: "app", Session: fmt.Sprint("flood-", i)})
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, ErrThrottled):
					throttled.Add(1)
				default:
					t.Error(err)
				}
			})
		}
		wg.Wait()
		// Burst 5 at once, then 5/s for the 1s a mint may wait: at most 10.
		if got := src.calls.Load(); got > 10 || got < 5 {
			t.Fatalf("%d upstream mints in ~1s under a 5/s cap (burst 5)", got)
		}
		if ok.Load() != src.calls.Load() || throttled.Load() != 100-ok.Load() {
			t.Fatalf("ok %d throttled %d mints %d", ok.Load(), throttled.Load(), src.calls.Load())
		}
		// A throttled key is not negatively cached: it works once a slot frees.
		time.Sleep(2 * time.Second)
		if _, _, err := b.Token(context.Background(), Request{App: "app", Session: "flood-99"}); err != nil {
			t.Fatalf("after the flood: %v", err)
		}
	})
}

// A request refused by the mint cap leaves nothing in the cache, so a
// flood of throttled one-off sessions cannot evict other callers' tokens.
func TestThrottledLeavesNoEntry(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := New(map[string]Source{"app": src}, Options{MaxEntries: 100,
		MintRate: map[string]ratelimit.Rate{"app": {PerSecond: 0.001, Burst: 1}}, MintWait: time.Millisecond})
	defer b.Close()
	idle := Request{App: "app", Session: "idle"}
	mustToken(t, b, idle)
	for i := range 1000 {
		if _, _, err := b.Token(t.Context(), Request{App: "app", Session: fmt.Sprint("flood-", i)}); !errors.Is(err, ErrThrottled) {
			t.Fatalf("flood-%d: err = %v, want ErrThrottled", i, err)
		}
	}
	if n := b.Len(); n != 1 {
		t.Errorf("the cache holds %d entries after a throttled flood, want 1", n)
	}
	if _, out, err := b.Token(t.Context(), idle); err != nil || out != Hit {
		t.Fatalf("the idle caller's token did not survive a throttled flood: outcome %v, err %v", out, err)
	}
}

// The mint cap holds under a sustained flood of distinct sessions from
// many goroutines at once (real time: the leak needs real contention on
// the limiter). Refusals must not hand back more than they took.
func TestMintRateHoldsUnderContention(t *testing.T) {
	if testing.Short() {
		t.Skip("real-time flood")
	}
	const perSecond, burst = 50, 50
	src := &fakeSource{life: time.Hour}
	b := New(map[string]Source{"app": src}, Options{MintRate: map[string]ratelimit.Rate{"app": {PerSecond: perSecond, Burst: burst}}})
	defer b.Close()
	var seq atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(time.Second)
	for range 256 {
		wg.Go(func() {
			for time.Now().Before(stop) {
				_, _, err := b.Token(context.Background(), Request{App: "app", Session: fmt.Sprint("flood-", seq.Add(1))})
				if err != nil && !errors.Is(err, ErrThrottled) {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if got, most := src.calls.Load(), burst+perSecond*elapsed.Seconds()+1; float64(got) > most {
		t.Fatalf("%d mints in %v under a %d/s cap (burst %d): at most %.0f allowed", got, elapsed, perSecond, burst, most)
	}
}

func TestDropSession(t *testing.T) {
	src := &fakeSource{life: time.Hour}
	b := newTestBroker(src, Options{})
	defer b.Close()
	for _, r := range []Request{
		{App: "app", Session: "alice", Owner: "be1"}, {App: "app", Session: "alice", Owner: "be2", Duration: 600},
		{App: "app", Session: "bob", Owner: "be1"},
	} {
		mustToken(t, b, r)
	}
	if n := b.DropSession("app", "alice"); n != 2 {
		t.Fatalf("DropSession dropped %d, want alice's 2", n)
	}
	if _, out := mustToken(t, b, Request{App: "app", Session: "bob", Owner: "be1"}); out != Hit {
		t.Fatal("another session's token was dropped")
	}
}
