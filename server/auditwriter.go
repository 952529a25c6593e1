package server

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// auditBuffer is how much BufferedWriter holds before writing out early.
const auditBuffer = 64 << 10

// failureReportEvery rate-limits the operational log's reports of failed
// audit writes.
const failureReportEvery = time.Minute

// BufferedWriter batches writes and flushes them every interval, so an
// audit line per request costs a memory copy, not a system call. Close
// flushes what is left. It is safe for concurrent use.
//
// A failed write is never silent: it is counted (Failures) and reported
// on the operational log (SetErrorLog; slog.Default until set) at most
// once a minute, with how many failures and lost bytes there were since
// the last report. The lines of a failed write are dropped rather than
// kept: memory stays bounded while the disk is full or the pipe is gone,
// and writing resumes as soon as the destination accepts data again.
type BufferedWriter struct {
	mu     sync.Mutex
	w      io.Writer
	buf    []byte
	closed bool

	failures, lostBytes atomic.Uint64

	repMu           sync.Mutex
	errLog          *slog.Logger
	lastReport      time.Time
	unreported      uint64 // failures since the last report
	unreportedBytes uint64 // bytes lost since the last report
	lastErr         string

	stopOnce sync.Once
	stop     chan struct{}
	done     chan struct{}
}

// NewBufferedWriter flushes to w every interval.
func NewBufferedWriter(w io.Writer, interval time.Duration) *BufferedWriter {
	b := &BufferedWriter{w: w, buf: make([]byte, 0, auditBuffer), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				_ = b.Flush()
				b.report()
			case <-b.stop:
				_ = b.Flush()
				return
			}
		}
	}()
	return b
}

// SetErrorLog sets where failed writes are reported.
func (b *BufferedWriter) SetErrorLog(l *slog.Logger) {
	b.repMu.Lock()
	b.errLog = l
	b.repMu.Unlock()
}

// Failures reports how many writes to the destination failed and how
// many bytes were lost with them.
func (b *BufferedWriter) Failures() (writes, bytes uint64) {
	return b.failures.Load(), b.lostBytes.Load()
}

// Write buffers p, writing out first when the buffer is full. After Close
// it writes through. The error is that of a write out, if one failed.
func (b *BufferedWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	var err error
	lost := 0
	if b.closed || len(b.buf)+len(p) > auditBuffer {
		lost, err = b.flushLocked()
	}
	if b.closed || len(p) > auditBuffer {
		if l, werr := b.write(p); werr != nil {
			lost, err = lost+l, werr
		}
	} else {
		b.buf = append(b.buf, p...)
	}
	b.mu.Unlock()
	if err != nil {
		b.failed(err, lost)
	}
	return len(p), err
}

// Flush writes out what is buffered.
func (b *BufferedWriter) Flush() error {
	b.mu.Lock()
	lost, err := b.flushLocked()
	b.mu.Unlock()
	if err != nil {
		b.failed(err, lost)
	}
	return err
}

// Close stops the flusher after a last flush.
func (b *BufferedWriter) Close() error {
	b.stopOnce.Do(func() { close(b.stop) })
	<-b.done
	// Lines written while the flusher stopped go out now; later ones
	// write through.
	b.mu.Lock()
	b.closed = true
	lost, err := b.flushLocked()
	b.mu.Unlock()
	if err != nil {
		b.failed(err, lost)
	}
	return err
}

func (b *BufferedWriter) flushLocked() (int, error) {
	if len(b.buf) == 0 {
		return 0, nil
	}
	lost, err := b.write(b.buf)
	b.buf = b.buf[:0]
	return lost, err
}

// write writes p out whole, reporting how much was lost on failure.
func (b *BufferedWriter) write(p []byte) (int, error) {
	n, err := b.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return len(p) - max(n, 0), err
	}
	return 0, nil
}

// failed counts a failed write and reports it (rate-limited).
func (b *BufferedWriter) failed(err error, lost int) {
	b.failures.Add(1)
	b.lostBytes.Add(uint64(lost))
	b.repMu.Lock()
	b.unreported++
	b.unreportedBytes += uint64(lost)
	b.lastErr = err.Error()
	b.repMu.Unlock()
	b.report()
}

// report logs the failures not yet reported, unless it did so less than a
// minute ago (the flusher comes back for them).
func (b *BufferedWriter) report() {
	b.repMu.Lock()
	now := time.Now()
	if b.unreported == 0 || !b.lastReport.IsZero() && now.Sub(b.lastReport) < failureReportEvery {
		b.repMu.Unlock()
		return
	}
	n, lost, cause, l := b.unreported, b.unreportedBytes, b.lastErr, b.errLog
	b.lastReport, b.unreported, b.unreportedBytes = now, 0, 0
	b.repMu.Unlock()
	if l == nil {
		l = slog.Default()
	}
	l.LogAttrs(context.Background(), slog.LevelError, "audit log write failed: audit lines were lost",
		slog.String("err", cause), slog.Uint64("failed_writes", n), slog.Uint64("lost_bytes", lost),
		slog.Uint64("failed_writes_total", b.failures.Load()), slog.String("next_report", "at most once a minute"))
}
