package server

import (
	"encoding/json"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// fakeReplicas stands in for package replica's Store.
type fakeReplicas struct {
	mu       sync.Mutex
	revoked  map[string]bool
	shared   []string // what Revoke was told
	degraded atomic.Bool
}

func (f *fakeReplicas) Revoked(id string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.revoked[id]
}

func (f *fakeReplicas) Revoke(ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.shared = append(f.shared, ids...)
}

func (f *fakeReplicas) Degraded() bool { return f.degraded.Load() }

// fakeBackend is a shared rate limit backend allowing n in all.
type fakeBackend struct{ left atomic.Int32 }

func (b *fakeBackend) Allow(string, ratelimit.Rate) (bool, time.Duration, error) {
	return b.left.Add(-1) >= 0, time.Second, nil
}

func withReplicas(t *testing.T, o Options) (*fixture, testKeys) {
	t.Helper()
	f, k := guarded(t)
	s := mustNew(t, f.cfg, f.b, o)
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	f.server = s
	return f, k
}

// TestSharedRevocationRefusesKey: a key another replica revoked is
// refused here although this replica's configuration still lists it.
func TestSharedRevocationRefusesKey(t *testing.T) {
	rep := &fakeReplicas{revoked: map[string]bool{}}
	f, k := withReplicas(t, Options{Replicas: rep})
	if status, _, _ := f.do(t, "POST", "/token", "", bearer(k.alpha)); status != 200 {
		t.Fatalf("before the revocation: %d", status)
	}
	cl, _ := f.server.access.Load().keys.Lookup(k.alpha)
	rep.mu.Lock()
	rep.revoked[cl.ID()] = true
	rep.mu.Unlock()
	if status, hdr, _ := f.do(t, "POST", "/token", "", bearer(k.alpha)); status != 401 || hdr.Get("X-Cozeauth-Error") == "" {
		t.Fatalf("a key revoked on another replica: %d", status)
	}
	if status, _, _ := f.do(t, "POST", "/token", "", bearer(k.beta)); status != 200 {
		t.Fatalf("another key: %d", status)
	}
}

// TestReloadSharesRevocations: a reload that removes a client tells the
// other replicas its id.
func TestReloadSharesRevocations(t *testing.T) {
	rep := &fakeReplicas{revoked: map[string]bool{}}
	f, _ := withReplicas(t, Options{Replicas: rep})
	cfg := *f.cfg
	acc := cfg.Access
	gone := acc.Clients[0]
	acc.Clients = slices.DeleteFunc(slices.Clone(acc.Clients), func(c policy.Client) bool { return c.Name == gone.Name })
	cfg.Access = acc
	if err := f.server.Reload(&cfg); err != nil {
		t.Fatal(err)
	}
	rep.mu.Lock()
	defer rep.mu.Unlock()
	if !slices.Equal(rep.shared, []string{gone.ID()}) {
		t.Fatalf("shared revocations %v, want [%s]", rep.shared, gone.ID())
	}
}

// TestReadyzDegraded: /readyz says whether the shared store is reached,
// and still answers 200 when it is not.
func TestReadyzDegraded(t *testing.T) {
	rep := &fakeReplicas{revoked: map[string]bool{}}
	f, _ := withReplicas(t, Options{Replicas: rep})
	read := func() (int, map[string]any) {
		status, _, body := f.do(t, "GET", "/readyz", "", nil)
		var m map[string]any
		json.Unmarshal(body, &m)
		return status, m
	}
	if status, m := read(); status != 200 || m["store"] != "shared" || m["status"] != "ready" {
		t.Fatalf("shared: %d %v", status, m)
	}
	rep.degraded.Store(true)
	if status, m := read(); status != 200 || m["store"] != "degraded" || m["status"] != "degraded" {
		t.Fatalf("degraded: %d %v", status, m)
	}
}

// TestSharedLimitsUsed: a policy's per-key limit is taken from the
// shared backend when one is given.
func TestSharedLimitsUsed(t *testing.T) {
	be := &fakeBackend{}
	be.left.Store(1)
	f, k := withReplicas(t, Options{SharedLimits: be})
	if status, _, _ := f.do(t, "POST", "/token", "", with(bearer(k.slow), "X-User-ID", "u")); status != 200 {
		t.Fatalf("first: %d", status)
	}
	if status, _, _ := f.do(t, "POST", "/token", "", with(bearer(k.slow), "X-User-ID", "u")); status != 429 {
		t.Fatalf("second, the shared bucket empty: %d (the local burst of 2 was used instead)", status)
	}
}
