package credential

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

// BenchmarkRefresh10k refreshes 10 000 users' grants at once through
// Refresh against the emulator over loopback HTTP, and in the same run
// mints 10 000 JWT tokens (distinct sessions) with the same concurrency,
// so that refreshes per second can be read beside JWT mints per second.
// Each iteration, on a new emulator:
//
//   - seeds 10 000 grants of a web app, for 10 000 distinct users, into a
//     new FileStore (fsync per write; concurrent writes share one);
//   - refreshes all of them, workers at a time, and checks that each
//     refresh token was redeemed exactly once and each grant now holds
//     the rotated one;
//   - mints 10 000 JWT tokens, workers at a time;
//   - does the same seeding and refreshing with the in-memory store.
//
// Run it once per invocation:
//
//	go test -run '^$' -bench Refresh10k -benchtime 1x -count 3 ./credential
func BenchmarkRefresh10k(b *testing.B) {
	const n = 10_000
	for _, workers := range []int{256, 1000} {
		b.Run(fmt.Sprint("workers=", workers), func(b *testing.B) {
			var seed, file, mem, jwt time.Duration
			for b.Loop() {
				f := newFleet(b, workers)

				fs := openFileStore(b, filepath.Join(b.TempDir(), grant.DefaultFileName), newKeyring(b))
				was, took := f.seed(b, fs, "web", n, workers)
				seed += took
				answered, took := refreshAll(b, f.refresher("web", fs), n, workers)
				file += took
				f.checkRedeemedOnce(b, fs, "web", was, answered)
				if err := fs.Close(); err != nil {
					b.Fatal(err)
				}

				jwt += mintAll(b, f, n, workers)

				ms := grant.NewMemory()
				was, _ = f.seed(b, ms, "web-mem", n, workers)
				answered, took = refreshAll(b, f.refresher("web-mem", ms), n, workers)
				mem += took
				f.checkRedeemedOnce(b, ms, "web-mem", was, answered)
			}
			perSecond := func(d time.Duration) float64 { return float64(n*b.N) / d.Seconds() }
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(perSecond(seed), "file-seeds/s")
			b.ReportMetric(perSecond(file), "file-refreshes/s")
			b.ReportMetric(perSecond(mem), "mem-refreshes/s")
			b.ReportMetric(perSecond(jwt), "jwt-mints/s")
			b.ReportMetric(jwt.Seconds()/file.Seconds(), "file-refresh/jwt")
		})
	}
}

// mintAll mints n JWT tokens for distinct sessions, workers at a time.
func mintAll(b *testing.B, f *fleet, n, workers int) time.Duration {
	b.Helper()
	src := f.jwt()
	before := f.emu.MintsByGrant(emulator.GrantJWTBearer)
	took, err := concurrently(n, workers, func(i int) error {
		_, err := src.Mint(context.Background(), broker.Request{Session: fmt.Sprint("jwt-", i)})
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	if got := f.emu.MintsByGrant(emulator.GrantJWTBearer) - before; got != n {
		b.Fatalf("%d JWT mints, want %d", got, n)
	}
	return took
}
