package memtune

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Tuning: below Floor the default collector decides; above it the soft
// limit is live × Ratio + Slack.
const (
	Floor = 64 << 20
	Ratio = 1.5
	Slack = 16 << 20
)

// Limit is the soft memory limit for a live heap of live bytes:
// math.MaxInt64 (no limit) while the default collector's own target
// (twice the live heap) stays under Floor.
func Limit(live uint64) int64 {
	if 2*live <= Floor {
		return math.MaxInt64
	}
	return max(int64(float64(live)*Ratio)+Slack, Floor)
}

// Enabled reports whether the user left memory tuning to cozeauth: it is
// off when GOMEMLIMIT or GOGC is set in the environment.
func Enabled(getenv func(string) string) bool {
	return getenv("GOMEMLIMIT") == "" && getenv("GOGC") == ""
}

// Run adjusts the soft memory limit every interval until ctx ends, then
// restores the limit it found. It does nothing when !Enabled(os.Getenv).
func Run(ctx context.Context, interval time.Duration) {
	if !Enabled(os.Getenv) {
		return
	}
	before := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(before)
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() == metrics.KindUint64 {
			debug.SetMemoryLimit(Limit(sample[0].Value.Uint64()))
		}
	}
}
