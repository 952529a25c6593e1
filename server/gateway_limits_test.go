package server

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// holdingUpstream answers /v1/hold only once release is closed, and
// reports each request as it arrives; other paths answer at once.
type holdingUpstream struct {
	arrived chan struct{}
	release chan struct{}
	once    sync.Once
}

func newHoldingUpstream(*testing.T) *holdingUpstream {
	return &holdingUpstream{arrived: make(chan struct{}, 100), release: make(chan struct{})}
}

// stop lets every held request finish.
func (h *holdingUpstream) stop() { h.once.Do(func() { close(h.release) }) }

func (h *holdingUpstream) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v1/hold" {
		okJSON(w, r)
		return
	}
	h.arrived <- struct{}{}
	select {
	case <-h.release:
	case <-r.Context().Done():
	}
	okJSON(w, r)
}

// hold starts n gateway requests with hdr that Coze holds open, and waits
// until all n reached Coze. wait returns once they are answered.
func (h *holdingUpstream) hold(t *testing.T, f *fixture, n int, hdr map[string]string) (wait func()) {
	t.Helper()
	t.Cleanup(h.stop) // after the servers' cleanups were registered: runs before them
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", f.srv.URL+"/v1/hold", nil)
			for k, v := range hdr {
				req.Header.Set(k, v)
			}
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("held request: %d", resp.StatusCode)
			}
		}()
	}
	for range n {
		<-h.arrived
	}
	return wg.Wait
}

// checkRefused expects a refusal with status, code and a Retry-After.
func checkRefused(t *testing.T, f *fixture, hdr map[string]string, status int, code string) {
	t.Helper()
	got, h, body := f.do(t, "GET", "/v1/hold", "", hdr)
	if got != status || !strings.Contains(string(body), code) || h.Get("Retry-After") == "" {
		t.Fatalf("at the cap: %d %s Retry-After %q; want %d %s with Retry-After", got, body, h.Get("Retry-After"), status, code)
	}
}

// checkStillAnswers expects /healthz and /token to answer while the
// gateway is saturated.
func checkStillAnswers(t *testing.T, f *fixture, tokenHdr map[string]string) {
	t.Helper()
	if status, _, _ := f.do(t, "GET", "/healthz", "", nil); status != 200 {
		t.Fatalf("/healthz while the gateway is saturated: %d", status)
	}
	if status, _, body := f.do(t, "POST", "/token", "", tokenHdr); status != 200 {
		t.Fatalf("/token while the gateway is saturated: %d %s", status, body)
	}
}

// TestGatewayConcurrencyCaps holds the descriptor-exhaustion attack:
// slow gateway requests beyond a cap are refused at once (503 overall,
// 429 per client or per address, each with Retry-After), and /healthz
// and /token keep answering.
func TestGatewayConcurrencyCaps(t *testing.T) {
	t.Run("per address without a key", func(t *testing.T) {
		h := newHoldingUpstream(t)
		f, _ := gatewayFixture(t, h.serve, Options{Gateway: config.Gateway{MaxConcurrent: 10, MaxPerIP: 2}})
		acc, k := testAccess(t)
		for i := range acc.Policies {
			if acc.Policies[i].Public {
				acc.Policies[i].Paths = []string{"/v1/hold"}
			}
		}
		if err := f.server.Reload(f.withAccess(acc)); err != nil {
			t.Fatal(err)
		}
		// Public widget visitors: each request without a cookie is a new
		// visitor, all from one address.
		visitor := map[string]string{"Origin": shopOrigin}
		wait := h.hold(t, f, 2, visitor)
		checkRefused(t, f, visitor, 429, "too_many_concurrent")
		checkStillAnswers(t, f, bearer(k.alpha))
		h.stop()
		wait()
		if status, _, _ := f.do(t, "GET", "/v1/hold", "", visitor); status != 200 {
			t.Fatalf("after the held requests ended: %d", status)
		}
	})
	t.Run("open mode has the overall cap", func(t *testing.T) {
		h := newHoldingUpstream(t)
		f, _ := gatewayFixture(t, h.serve, Options{Gateway: config.Gateway{MaxConcurrent: 3, MaxPerIP: 1}})
		wait := h.hold(t, f, 3, nil)
		checkRefused(t, f, nil, 503, "gateway_busy")
		checkStillAnswers(t, f, nil)
		h.stop()
		wait()
	})
	t.Run("per client and overall", func(t *testing.T) {
		h := newHoldingUpstream(t)
		f, _ := gatewayFixture(t, h.serve, Options{Gateway: config.Gateway{MaxConcurrent: 4, MaxPerClient: 2, MaxPerIP: 1}})
		acc, k := testAccess(t)
		if err := f.server.Reload(f.withAccess(acc)); err != nil {
			t.Fatal(err)
		}
		alpha, beta := bearer(k.alpha), bearer(k.beta)
		// Keyed clients share an address; the per-address cap is for
		// callers without a key.
		waitA := h.hold(t, f, 2, alpha)
		checkRefused(t, f, alpha, 429, "too_many_concurrent")
		waitB := h.hold(t, f, 2, beta)
		checkRefused(t, f, beta, 503, "gateway_busy")
		checkRefused(t, f, bearer(k.slow), 503, "gateway_busy")
		checkStillAnswers(t, f, alpha)
		h.stop()
		waitA()
		waitB()
	})
}
