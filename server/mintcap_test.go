package server

import (
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// TestMintCapUnderDistinctSessionFlood: 1000 distinct sessions at once
// cost Coze at most the app's mint budget; the rest are told to retry.
func TestMintCapUnderDistinctSessionFlood(t *testing.T) {
	f, k := guarded(t)
	app, _ := f.cfg.App("good")
	// One attempt per mint and a generous timeout: the cap is on the
	// broker's mints, and a retry after a client-side timeout on a busy
	// machine would reach Coze twice for one of them.
	client := &coze.Client{Timeout: 30 * time.Second, Retry: coze.Backoff{Attempts: 1}}
	b := broker.New(map[string]broker.Source{"good": &credential.JWT{Client: client, Signer: app.Signer(), TokenURL: app.TokenURL()}},
		broker.Options{MintRate: map[string]ratelimit.Rate{"good": {PerSecond: 20, Burst: 20}}, MintWait: 100 * time.Millisecond})
	t.Cleanup(b.Close)
	srv := httptest.NewServer(mustNew(t, f.cfg, b, Options{}))
	t.Cleanup(srv.Close)
	f.srv = srv
	start := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	for i := range 1000 {
		wg.Go(func() {
			status, hdr, _ := f.do(t, "POST", "/token", "", with(bearer(k.alpha), "X-User-ID", fmt.Sprint("flood-", i)))
			if status == 503 && hdr.Get("Retry-After") == "" {
				t.Error("503 without Retry-After")
			}
			mu.Lock()
			counts[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	budget := 20 + int(20*time.Since(start).Seconds()) + 1
	if m := f.emu.Mints(); m > budget {
		t.Fatalf("%d mints in %v, budget %d", m, time.Since(start), budget)
	}
	// Every caller gets a token or a 503 with Retry-After; on a machine so
	// loaded that a mint outlasts the caller's wait, a 504 (the mint may
	// still have reached Coze, and its token stays cached).
	m := f.emu.Mints()
	if counts[200]+counts[503]+counts[504] != 1000 || m < counts[200] || m > counts[200]+counts[504] {
		t.Fatalf("statuses %v, mints %d", counts, m)
	}
}
