package server

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// A cache hit — the path every token handed out from the cache takes,
// with the audit line and the Prometheus meter on as serve runs them —
// allocates nothing per request of its own: the caller stays on the
// stack, the cache is looked up without building a key string, and the
// answer is rendered once per token. (net/http's own per-request
// allocations are not counted here.)
func TestTokenHitAllocatesNothing(t *testing.T) {
	h := observedServer(t, newFixture(t))
	req := httptest.NewRequest("POST", "/token", nil)
	req.Header.Set("X-User-ID", "hot")
	rw := &headerOnly{h: make(http.Header, 8)}
	h.ServeHTTP(rw, req) // the mint
	allocs := testing.AllocsPerRun(1000, func() {
		clear(rw.h)
		rw.status = 0
		h.ServeHTTP(rw, req)
	})
	if rw.status != 0 && rw.status != http.StatusOK {
		t.Fatalf("status %d", rw.status)
	}
	if got := rw.h.Get("Content-Type"); got != "application/json" {
		t.Fatalf("Content-Type %q: the hit was not answered", got)
	}
	if allocs > 0 {
		t.Errorf("a cache hit allocates %.1f times per request, want 0", allocs)
	}
}
