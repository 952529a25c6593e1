package emulator_test

import (
	"context"
	"net/http"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestConcurrent mints, replays, injects faults and calls the API at once;
// run it with -race.
func TestConcurrent(t *testing.T) {
	f := newFixture(t, nil)
	const unique, replays, faulted = 48, 16, 8
	for range faulted {
		f.srv.Inject(emulator.Fault{Status: 503})
	}
	shared := f.assertion1(map[string]any{"jti": "contended", "session_name": "s"})

	var wg sync.WaitGroup
	var mu sync.Mutex
	uniq, shar := map[int]int{}, map[int]int{} // status counts per kind
	post := func(auth string) response {
		return f.do(context.Background(), http.MethodPost, tokenPath, "application/json", auth, bodyWith(""))
	}
	record := func(r response, counts map[int]int) {
		mu.Lock()
		defer mu.Unlock()
		if r.err != nil {
			t.Errorf("transport: %v", r.err)
			return
		}
		counts[r.status]++
	}
	for i := range unique {
		wg.Go(func() {
			r := post("Bearer " + f.assertion1(nil))
			record(r, uniq)
			if tok := r.str("access_token"); tok != "" && i%4 == 0 {
				f.wantMe(tok, app1+"-")
			}
		})
	}
	for range replays {
		wg.Go(func() { record(post("Bearer "+shared), shar) })
	}
	wg.Go(func() {
		for range 20 {
			_ = f.srv.Mints()
			_ = f.srv.LastClaims()
			_ = f.srv.LastBody()
			_ = f.srv.MintsFor(app1, "s")
		}
	})
	wg.Wait()

	if n := f.srv.Requests(); n != unique+replays {
		t.Errorf("requests %d, want %d", n, unique+replays)
	}
	if uniq[503]+shar[503] != faulted {
		t.Errorf("503s: %v %v, want %d in all", uniq, shar, faulted)
	}
	if uniq[200] != unique-uniq[503] {
		t.Errorf("unique assertions: %v", uniq)
	}
	// Of the requests carrying the shared assertion that reached the
	// verifier, exactly one may mint; the rest are replays.
	if reached := replays - shar[503]; shar[200] != 1 || shar[401] != reached-1 {
		t.Errorf("shared assertion: %v", shar)
	}
	if f.srv.MintsFor(app1, "s") != 1 || f.srv.Mints() != uniq[200]+1 {
		t.Errorf("mints %d, for session %d", f.srv.Mints(), f.srv.MintsFor(app1, "s"))
	}
}
