package logwriter

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// failingWriter fails every write while broken.
type failingWriter struct {
	mu     sync.Mutex
	broken bool
	got    bytes.Buffer
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.broken {
		return 0, errors.New("no space left on device")
	}
	return w.got.Write(p)
}

// TestFailuresReportedThenRecovered: a failing audit destination is
// counted and reported on the operational log, at most once a minute, and
// writing resumes when the destination recovers.
func TestFailuresReportedThenRecovered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dst := &failingWriter{broken: true}
		ops := &syncBuffer{}
		bw := New(dst, Options{ErrorLog: slog.New(slog.NewTextHandler(ops, nil)), Name: "audit"})
		defer bw.Close()
		audit := slog.New(slog.NewTextHandler(bw, nil))
		audit.Info("token", "n", 1)
		time.Sleep(time.Second) // the flusher tries, and fails
		audit.Info("token", "n", 2)
		time.Sleep(time.Second)
		if n, lost := bw.Failures(); n != 2 || lost == 0 {
			t.Fatalf("failures %d, lost %d bytes: want 2 counted", n, lost)
		}
		if got := strings.Count(ops.String(), "audit log write failed"); got != 1 {
			t.Fatalf("%d reports within a minute, want 1:\n%s", got, ops.String())
		}
		if !strings.Contains(ops.String(), "no space left on device") || !strings.Contains(ops.String(), "level=ERROR") {
			t.Fatalf("report lacks the cause: %s", ops.String())
		}
		audit.Info("token", "n", 3)
		time.Sleep(time.Minute)
		if got := strings.Count(ops.String(), "audit log write failed"); got != 2 || !strings.Contains(ops.String(), "failed_writes=2") {
			t.Fatalf("after a minute: %d reports, want 2 (one summing the suppressed failures):\n%s", got, ops.String())
		}
		dst.mu.Lock()
		dst.broken = false
		dst.mu.Unlock()
		audit.Info("token", "n", 4)
		if err := bw.Close(); err != nil {
			t.Fatal(err)
		}
		if got := dst.got.String(); !strings.Contains(got, "n=4") || strings.Contains(got, "n=3") {
			t.Fatalf("after recovery the destination holds %q", got)
		}
	})
}
