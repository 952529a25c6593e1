package memtune

import (
	"context"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	tests := []struct {
		live, other uint64
		want        int64
	}{
		{0, 0, Floor},
		{4 << 20, 6 << 20, Floor},                     // a small server: the floor
		{16 << 20, 2 << 20, 20<<20 + Slack},           // a quarter again of the heap, plus Slack
		{48 << 20, 10 << 20, 60<<20 + Slack},          // 100,000 cached sessions: 76 MiB
		{1 << 30, 8 << 20, 1280<<20 + Slack},          // a large cache
		{4 << 20, 200 << 20, 4<<20 + 200<<20 + Slack}, // many goroutine stacks
	}
	for _, tt := range tests {
		got := Limit(tt.live, tt.other)
		if got != tt.want {
			t.Errorf("Limit(%d MiB, %d MiB) = %d, want %d", tt.live>>20, tt.other>>20, got, tt.want)
		}
		// The limit always leaves room above the live heap and the rest
		// of the runtime's memory, so the collector cannot spin on a limit
		// it cannot meet.
		if got < int64(tt.live+tt.other)+Slack || got < Floor {
			t.Errorf("Limit(%d, %d) = %d leaves less than %d of headroom", tt.live, tt.other, got, Slack)
		}
	}
}

func TestEnabledRespectsTheUsersSettings(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if !Enabled(getenv) {
		t.Fatal("tuning is off with nothing set")
	}
	env["GOGC"] = "200"
	if Enabled(getenv) {
		t.Fatal("GOGC set: the user decides")
	}
	delete(env, "GOGC")
	env["GOMEMLIMIT"] = "1GiB"
	if Enabled(getenv) {
		t.Fatal("GOMEMLIMIT set: the user decides")
	}
}

func gcCycles() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var sink []byte

// churn allocates n bytes of garbage in 1 KiB pieces, as requests do.
func churn(n int) {
	for range n >> 10 {
		sink = make([]byte, 1<<10)
	}
}

// startRun runs Run until the test ends and waits for it to take over.
func startRun(t *testing.T) {
	t.Helper()
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	beforeLimit, beforePercent := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(beforePercent)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx); close(done) }()
	t.Cleanup(func() {
		cancel()
		<-done
		if got := debug.SetMemoryLimit(-1); got != beforeLimit {
			t.Errorf("limit %d after Run ended, want %d restored", got, beforeLimit)
		}
		if got := debug.SetGCPercent(beforePercent); got != beforePercent {
			t.Errorf("GC percent %d after Run ended, want %d restored", got, beforePercent)
		}
	})
	for deadline := time.Now().Add(10 * time.Second); debug.SetMemoryLimit(-1) == beforeLimit; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("Run never set a limit")
		}
	}
}

// With a small live heap, the collector waits for the floor: 16 MiB of
// garbage, which the default pacing collects several times over, takes at
// most one collection.
func TestSmallHeapsCollectAtTheFloor(t *testing.T) {
	runtime.GC()
	before := gcCycles()
	churn(16 << 20)
	if n := gcCycles() - before; n < 2 {
		t.Skipf("the default pacing collected %d times for 16 MiB: nothing to compare", n)
	}
	startRun(t)
	runtime.GC()
	before = gcCycles()
	churn(16 << 20)
	if n := gcCycles() - before; n > 1 {
		t.Errorf("%d collections for 16 MiB of garbage under a %d MiB floor, want at most 1", n, Floor>>20)
	}
}

// The limit follows the live heap after each collection: a live heap of
// 80 MiB raises it to 80 × Ratio + the rest + Slack, and dropping it
// brings the limit back to the floor.
func TestLimitFollowsTheLiveHeap(t *testing.T) {
	startRun(t)
	ballast := make([]byte, 80<<20)
	for i := range ballast {
		ballast[i] = byte(i)
	}
	waitLimit := func(ok func(int64) bool, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			runtime.GC()
			if l := debug.SetMemoryLimit(-1); ok(l) {
				return
			} else if time.Now().After(deadline) {
				t.Fatalf("limit %d MiB: want %s", l>>20, what)
			}
		}
	}
	waitLimit(func(l int64) bool { return l >= 80<<20*Ratio+Slack }, "at least 80 MiB × Ratio + Slack with an 80 MiB live heap")
	runtime.KeepAlive(ballast)
	ballast = nil
	waitLimit(func(l int64) bool { return l < 80<<20 }, "back down once the 80 MiB are garbage")
	if l := debug.SetMemoryLimit(-1); l < Floor {
		t.Fatalf("limit %d under the floor %d", l, Floor)
	}
	if p := debug.SetGCPercent(-1); p != -1 {
		t.Fatalf("GC percent %d while Run paces the collector, want off (-1)", p)
	}
}

// Two Runs at once (two servers in one process): one paces, and when both
// have ended the process has the settings it had before either.
func TestConcurrentRunsRestoreTheOriginalSettings(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	beforeLimit, beforePercent := debug.SetMemoryLimit(-1), debug.SetGCPercent(-1)
	debug.SetGCPercent(beforePercent)
	ctx1, cancel1 := context.WithCancel(context.Background())
	ctx2, cancel2 := context.WithCancel(context.Background())
	done1, done2 := make(chan struct{}), make(chan struct{})
	go func() { Run(ctx1); close(done1) }()
	for debug.SetMemoryLimit(-1) == beforeLimit {
		time.Sleep(time.Millisecond)
	}
	go func() { Run(ctx2); close(done2) }()
	select {
	case <-done2: // the second one saw the first pacing and returned
	case <-time.After(10 * time.Second):
		t.Fatal("a second Run kept running while the first paces")
	}
	cancel1()
	<-done1
	cancel2()
	if got := debug.SetMemoryLimit(-1); got != beforeLimit {
		t.Errorf("limit %d after both Runs, want %d", got, beforeLimit)
	}
	if got := debug.SetGCPercent(beforePercent); got != beforePercent {
		t.Errorf("GC percent %d after both Runs, want %d", got, beforePercent)
	}
}
