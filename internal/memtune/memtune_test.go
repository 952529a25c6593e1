package memtune

import (
	"context"
	"math"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	tests := []struct {
		live uint64
		want int64
	}{
		{0, math.MaxInt64},
		{10 << 20, math.MaxInt64},
		{32 << 20, math.MaxInt64}, // the default target, 64 MiB, is the floor
		{33 << 20, int64(33<<20*Ratio) + Slack},
		{50 << 20, 75<<20 + Slack},
		{1 << 30, 1536<<20 + Slack},
	}
	for _, tt := range tests {
		got := Limit(tt.live)
		if got != tt.want {
			t.Errorf("Limit(%d MiB) = %d, want %d", tt.live>>20, got, tt.want)
		}
		// The limit always leaves room above the live heap, so the
		// collector cannot spin on a limit it cannot meet.
		if got < int64(tt.live)+Slack {
			t.Errorf("Limit(%d) = %d leaves less than %d of headroom", tt.live, got, Slack)
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

func TestRunSetsAndRestoresTheLimit(t *testing.T) {
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	// Keep a live heap above the floor while Run samples it.
	ballast := make([]byte, 80<<20)
	for i := range ballast {
		ballast[i] = byte(i)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { Run(ctx, time.Millisecond); close(done) }()
	var set int64
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if set = debug.SetMemoryLimit(-1); set != before {
			break
		}
	}
	if set == before || set < 80<<20+Slack {
		t.Fatalf("limit %d with an 80 MiB live heap: want live × %.1f + slack", set, Ratio)
	}
	cancel()
	<-done
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Fatalf("limit %d after Run ended, want %d restored", got, before)
	}
	_ = ballast[len(ballast)-1]
}
