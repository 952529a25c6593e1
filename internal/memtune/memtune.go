package memtune

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync/atomic"
)

// Tuning: the soft memory limit is the largest of Floor, live × Ratio +
// Slack, and live + other + Slack, other being the runtime's memory
// outside the heap (goroutine stacks, collector metadata). The limit
// counts all of the runtime's memory, so the second term keeps a large
// cache within a quarter again of what it holds; the third keeps Slack of room
// when stacks are many. (Go's ratio, GOGC=100, would collect at twice the
// live heap; above Floor that is always over the limit, so the ratio is
// left off rather than kept as a second trigger that never fires first.)
const (
	Floor = 32 << 20
	Ratio = 1.25 // 100,000 cached sessions: about 90 MB of RSS (1.5 gave 102 MB)
	Slack = 16 << 20
)

// Limit is the soft memory limit for a live heap of live bytes when the
// runtime holds other bytes outside the heap.
func Limit(live, other uint64) int64 {
	return max(Floor, int64(float64(live)*Ratio)+Slack, int64(live+other)+Slack)
}

// Enabled reports whether the user left memory tuning to cozeauth: it is
// off when GOMEMLIMIT or GOGC is set in the environment.
func Enabled(getenv func(string) string) bool {
	return getenv("GOMEMLIMIT") == "" && getenv("GOGC") == ""
}

// The runtime/metrics read after each collection.
var samples = []string{
	"/gc/heap/live:bytes",
	"/memory/classes/total:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
	"/memory/classes/heap/released:bytes",
}

// measure reads the live heap and the runtime's memory outside the heap.
func measure(s []metrics.Sample) (live, other uint64) {
	metrics.Read(s)
	v := make([]uint64, len(s))
	for i := range s {
		if s[i].Value.Kind() == metrics.KindUint64 {
			v[i] = s[i].Value.Uint64()
		}
	}
	heap := v[2] + v[3] + v[4] + v[5]
	if v[1] > heap {
		other = v[1] - heap
	}
	return v[0], other
}

// tuning is set while a Run paces the collector: the settings are the
// process's, so one Run at a time owns them.
var tuning atomic.Bool

// Run paces the collector (see the package documentation) until ctx ends,
// then restores the GC percentage and memory limit it found. It does
// nothing when !Enabled(os.Getenv), or while another Run in the process
// is pacing (two servers in one process: the first one paces, and the
// settings it restores are the ones it found).
func Run(ctx context.Context) {
	if !Enabled(os.Getenv) || !tuning.CompareAndSwap(false, true) {
		return
	}
	defer tuning.Store(false)
	s := make([]metrics.Sample, len(samples))
	for i, name := range samples {
		s[i].Name = name
	}
	// Set the limit before turning the ratio off: never a moment with
	// neither.
	live, other := measure(s)
	beforeLimit := debug.SetMemoryLimit(Limit(live, other))
	beforePercent := debug.SetGCPercent(-1)
	defer func() {
		debug.SetGCPercent(beforePercent)
		debug.SetMemoryLimit(beforeLimit)
	}()
	gcs := make(chan struct{}, 1)
	arm := func() {
		// A fresh object, unreachable at once: its cleanup runs after the
		// next collection and tells Run, which arms the next one.
		runtime.AddCleanup(new(sentinel), func(ch chan struct{}) {
			select {
			case ch <- struct{}{}:
			default:
			}
		}, gcs)
	}
	arm()
	for {
		select {
		case <-ctx.Done():
			return
		case <-gcs:
		}
		debug.SetMemoryLimit(Limit(measure(s)))
		arm()
	}
}

// sentinel is the object whose cleanup marks a collection. It holds a
// pointer so it is never one of the runtime's combined tiny allocations,
// whose cleanups may not run.
type sentinel struct{ _ *sentinel }
