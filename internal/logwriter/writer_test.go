package logwriter

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Close() error { return nil }

// TestEveryLineInOrder: concurrent writers' lines all arrive by Close,
// whole, and each writer's lines in the order written, across many
// buffer hand-offs.
func TestEveryLineInOrder(t *testing.T) {
	dst := &syncBuffer{}
	w := New(dst, Options{BufferSize: 256, Buffers: 1 << 12})
	const writers, lines = 8, 2000
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range lines {
				fmt.Fprintf(w, "g%d %06d\n", g, i)
			}
		})
	}
	wg.Wait()
	w.Close()
	if d := w.Dropped(); d != 0 {
		t.Fatalf("dropped %d lines with a queue large enough for all", d)
	}
	next := make([]int, writers)
	got := strings.Split(strings.TrimSuffix(dst.String(), "\n"), "\n")
	if len(got) != writers*lines {
		t.Fatalf("%d lines written, want %d", len(got), writers*lines)
	}
	for _, l := range got {
		var g, i int
		if _, err := fmt.Sscanf(l, "g%d %d", &g, &i); err != nil {
			t.Fatalf("torn line %q", l)
		}
		if i != next[g] {
			t.Fatalf("writer %d: line %d after %d", g, i, next[g]-1)
		}
		next[g]++
	}
	// After Close, lines are written through.
	fmt.Fprintf(w, "late\n")
	if !strings.HasSuffix(dst.String(), "late\n") {
		t.Fatal("a line written after Close was not written")
	}
}

// TestFlushedWithinInterval: a lone line reaches the destination within
// one flush interval, without Close.
func TestFlushedWithinInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dst := &syncBuffer{}
		w := New(dst, Options{Interval: 500 * time.Millisecond})
		defer w.Close()
		io.WriteString(w, "one\n")
		synctest.Wait()
		if dst.String() != "" {
			t.Fatal("written at once: not buffered")
		}
		time.Sleep(500 * time.Millisecond)
		synctest.Wait()
		if dst.String() != "one\n" {
			t.Fatalf("after one interval the destination holds %q", dst.String())
		}
	})
}

// TestIntervalCapped: an interval over a second is cut to one second.
func TestIntervalCapped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dst := &syncBuffer{}
		w := New(dst, Options{Interval: time.Hour})
		defer w.Close()
		io.WriteString(w, "one\n")
		time.Sleep(MaxInterval)
		synctest.Wait()
		if dst.String() != "one\n" {
			t.Fatalf("after %v the destination holds %q", MaxInterval, dst.String())
		}
	})
}

// stuck is a destination that blocks until released.
type stuck struct {
	release chan struct{}
	syncBuffer
}

func (s *stuck) Write(p []byte) (int, error) {
	<-s.release
	return s.syncBuffer.Write(p)
}

// TestDropsWhenFullNeverBlocks: with the destination stuck, Write keeps
// returning; lines beyond the queue are dropped, counted, reported on the
// error log, and told to OnDrop; the kept ones arrive once it resumes.
func TestDropsWhenFullNeverBlocks(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		dst := &stuck{release: make(chan struct{})}
		var told atomic.Int64
		var logBuf syncBuffer
		w := New(dst, Options{BufferSize: 10, Buffers: 2, OnDrop: func(n int) { told.Add(int64(n)) },
			ErrorLog: slog.New(slog.NewTextHandler(&logBuf, nil)), Name: "audit"})
		const n = 100
		for i := range n {
			fmt.Fprintf(w, "line %03d\n", i) // 9 bytes: one per buffer
		}
		d := w.Dropped()
		if d == 0 || d > n-2 {
			t.Fatalf("dropped %d of %d lines with a stuck destination and a queue of 2", d, n)
		}
		if told.Load() != int64(d) {
			t.Fatalf("OnDrop told %d, Dropped %d", told.Load(), d)
		}
		close(dst.release)
		w.Close()
		kept := strings.Count(dst.String(), "\n")
		if uint64(kept)+d != n {
			t.Fatalf("%d kept + %d dropped != %d written", kept, d, n)
		}
		if !strings.Contains(logBuf.String(), "audit log lines dropped") || !strings.Contains(logBuf.String(), fmt.Sprintf("dropped_lines=%d", d)) {
			t.Fatalf("drops not reported: %q", logBuf.String())
		}
	})
}

type failing struct{}

func (failing) Write(p []byte) (int, error) { return 0, errors.New("disk full") }

// TestFailedWritesReported: a failing destination is counted and
// reported, once a minute at most.
func TestFailedWritesReported(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logBuf syncBuffer
		w := New(failing{}, Options{ErrorLog: slog.New(slog.NewTextHandler(&logBuf, nil)), Name: "access"})
		io.WriteString(w, "a\n")
		w.Flush()
		io.WriteString(w, "b\n")
		w.Flush()
		if n, b := w.Failures(); n != 2 || b != 4 {
			t.Fatalf("failures %d, %d bytes; want 2, 4", n, b)
		}
		if c := strings.Count(logBuf.String(), "access log write failed"); c != 1 {
			t.Fatalf("%d reports within a minute, want 1: %q", c, logBuf.String())
		}
		time.Sleep(reportEvery + time.Second)
		synctest.Wait()
		if c := strings.Count(logBuf.String(), "access log write failed"); c != 2 {
			t.Fatalf("the second failure was not reported after a minute: %q", logBuf.String())
		}
		w.Close()
	})
}

// TestReopen: after Reopen, lines go to the newly opened destination and
// the old one is closed; what was queued before went to the old one.
func TestReopen(t *testing.T) {
	first, second := &closeTracker{}, &closeTracker{}
	opened := []*closeTracker{second}
	w := New(first, Options{Open: func() (io.WriteCloser, error) {
		f := opened[0]
		opened = opened[1:]
		return f, nil
	}})
	io.WriteString(w, "before\n")
	if err := w.Reopen(); err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "after\n")
	w.Close()
	if first.String() != "before\n" || !first.closed {
		t.Fatalf("old destination: %q, closed %v", first.String(), first.closed)
	}
	if second.String() != "after\n" {
		t.Fatalf("new destination: %q", second.String())
	}
}

type closeTracker struct {
	syncBuffer
	closed bool
}

func (c *closeTracker) Close() error { c.closed = true; return nil }

// BenchmarkWrite: the cost of one audit-sized line on the request path.
func BenchmarkWrite(b *testing.B) {
	w := New(io.Discard, Options{})
	defer w.Close()
	line := []byte(strings.Repeat("x", 200) + "\n")
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Write(line)
		}
	})
}
