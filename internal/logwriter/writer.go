package logwriter

import (
	"context"
	"io"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of Options.
const (
	DefaultInterval   = 200 * time.Millisecond
	MaxInterval       = time.Second
	DefaultBufferSize = 64 << 10
	DefaultBuffers    = 16
)

// reportEvery rate-limits reports of drops and failed writes.
const reportEvery = time.Minute

// Options tune a Writer. Zero values take the defaults.
type Options struct {
	// Interval is how often a partly filled buffer is written out:
	// DefaultInterval; at most MaxInterval.
	Interval time.Duration
	// BufferSize is the size of one buffer (DefaultBufferSize); Buffers
	// how many full ones may wait for the writer (DefaultBuffers).
	BufferSize, Buffers int
	// Open reopens the destination (Reopen); nil when it cannot be.
	Open func() (io.WriteCloser, error)
	// OnDrop is told of lines dropped because the queue was full.
	OnDrop func(lines int)
	// ErrorLog receives the reports of drops and failed writes;
	// slog.Default when nil.
	ErrorLog *slog.Logger
	// Name says which log this is in those reports ("audit", "access").
	Name string
}

// Writer is an io.Writer whose Write only copies into memory. Each Write
// is taken as one line (slog handlers write one record per call): it is
// kept whole, or dropped whole. It is safe for concurrent use.
type Writer struct {
	o Options

	mu     sync.Mutex
	cur    []byte
	closed bool

	queue chan []byte // full buffers, oldest first
	free  chan []byte // buffers to reuse
	ops   chan op     // flush, reopen: done by the writer goroutine
	stop  chan struct{}
	done  chan struct{}

	dstMu sync.Mutex // the destination, used by the writer goroutine (and by Write after Close)
	dst   io.Writer

	dropped, failures, lostBytes atomic.Uint64

	repMu                 sync.Mutex
	lastReport            time.Time
	unDropped, unFailures uint64
	lastErr               string
}

type op struct {
	reopen bool
	done   chan error
}

// New writes to dst through a queue.
func New(dst io.Writer, o Options) *Writer {
	if o.Interval <= 0 {
		o.Interval = DefaultInterval
	}
	o.Interval = min(o.Interval, MaxInterval)
	if o.BufferSize <= 0 {
		o.BufferSize = DefaultBufferSize
	}
	if o.Buffers <= 0 {
		o.Buffers = DefaultBuffers
	}
	w := &Writer{o: o, dst: dst, cur: make([]byte, 0, o.BufferSize),
		queue: make(chan []byte, o.Buffers), free: make(chan []byte, o.Buffers+1),
		ops: make(chan op), stop: make(chan struct{}), done: make(chan struct{})}
	go w.run()
	return w
}

// Write queues p as one line. It never blocks on the destination: when
// the queue is full, p is dropped and counted. After Close it writes
// through. The error is always nil before Close.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		<-w.done // the last flush first: lines stay in order
		return w.writeThrough(p)
	}
	for try := 0; len(w.cur)+len(p) > w.o.BufferSize && len(w.cur) > 0; try++ {
		select {
		case w.queue <- w.cur:
			w.cur = w.buffer()
			continue
		default:
		}
		w.mu.Unlock()
		if try > 0 {
			w.drop(1)
			return len(p), nil
		}
		// The queue is full: let the writer goroutine run once (a busy
		// process may not have scheduled it yet) before dropping. This
		// yields the processor; it never waits for the destination.
		runtime.Gosched()
		w.mu.Lock()
		if w.closed {
			w.mu.Unlock()
			<-w.done
			return w.writeThrough(p)
		}
	}
	w.cur = append(w.cur, p...)
	w.mu.Unlock()
	return len(p), nil
}

// buffer returns an empty buffer, reused if one is free.
func (w *Writer) buffer() []byte {
	select {
	case b := <-w.free:
		return b[:0]
	default:
		return make([]byte, 0, w.o.BufferSize)
	}
}

func (w *Writer) recycle(b []byte) {
	if cap(b) > 4*w.o.BufferSize {
		return // grown by an outsize line: let it go
	}
	select {
	case w.free <- b:
	default:
	}
}

// Dropped is how many lines were dropped because the queue was full.
func (w *Writer) Dropped() uint64 { return w.dropped.Load() }

// Failures is how many writes to the destination failed and how many
// bytes were lost with them.
func (w *Writer) Failures() (writes, bytes uint64) { return w.failures.Load(), w.lostBytes.Load() }

// Flush writes out everything queued so far and waits for it.
func (w *Writer) Flush() error { return w.do(op{}) }

// Reopen writes out what is queued, closes the destination and opens it
// again with Options.Open (a file moved away by logrotate is then
// created anew). Without Open it only flushes.
func (w *Writer) Reopen() error { return w.do(op{reopen: true}) }

func (w *Writer) do(o op) error {
	o.done = make(chan error, 1)
	select {
	case w.ops <- o:
		return <-o.done
	case <-w.done:
		return nil
	}
}

// Close writes out everything and stops the writer goroutine; later
// lines are written through (unbuffered). It does not close the
// destination.
func (w *Writer) Close() error {
	w.mu.Lock()
	already := w.closed
	w.closed = true
	w.mu.Unlock()
	if !already {
		close(w.stop)
	}
	<-w.done
	return nil
}

func (w *Writer) run() {
	defer close(w.done)
	t := time.NewTicker(w.o.Interval)
	defer t.Stop()
	for {
		select {
		case b := <-w.queue:
			w.write(b)
			w.recycle(b)
		case <-t.C:
			w.flush()
			w.report()
		case o := <-w.ops:
			w.flush()
			var err error
			if o.reopen {
				err = w.reopen()
			}
			o.done <- err
		case <-w.stop:
			w.flush()
			w.report()
			return
		}
	}
}

// flush writes the queued buffers, then the current one, in order: full
// buffers are queued only under mu, so taking the current one under mu
// after draining the queue keeps every line after the ones before it.
func (w *Writer) flush() {
	var bufs [][]byte
	w.mu.Lock()
	for drained := false; !drained; {
		select {
		case b := <-w.queue:
			bufs = append(bufs, b)
		default:
			drained = true
		}
	}
	if len(w.cur) > 0 {
		bufs = append(bufs, w.cur)
		w.cur = w.buffer()
	}
	w.mu.Unlock()
	for _, b := range bufs {
		w.write(b)
		w.recycle(b)
	}
}

func (w *Writer) write(b []byte) {
	w.dstMu.Lock()
	n, err := w.dst.Write(b)
	w.dstMu.Unlock()
	if err == nil && n < len(b) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.failed(err, len(b)-max(n, 0))
	}
}

func (w *Writer) writeThrough(p []byte) (int, error) {
	w.dstMu.Lock()
	defer w.dstMu.Unlock()
	return w.dst.Write(p)
}

func (w *Writer) reopen() error {
	if w.o.Open == nil {
		return nil
	}
	f, err := w.o.Open()
	if err != nil {
		w.failed(err, 0)
		return err
	}
	w.dstMu.Lock()
	old := w.dst
	w.dst = f
	w.dstMu.Unlock()
	if c, ok := old.(io.Closer); ok {
		_ = c.Close()
	}
	return nil
}

func (w *Writer) drop(n int) {
	w.dropped.Add(uint64(n))
	if w.o.OnDrop != nil {
		w.o.OnDrop(n)
	}
	w.repMu.Lock()
	w.unDropped += uint64(n)
	w.repMu.Unlock()
}

func (w *Writer) failed(err error, lost int) {
	w.failures.Add(1)
	w.lostBytes.Add(uint64(lost))
	w.repMu.Lock()
	w.unFailures++
	w.lastErr = err.Error()
	w.repMu.Unlock()
	w.report()
}

// report logs the drops and failures not yet reported, unless it did so
// less than a minute ago (the writer goroutine comes back for them).
func (w *Writer) report() {
	w.repMu.Lock()
	now := time.Now()
	if w.unDropped == 0 && w.unFailures == 0 || !w.lastReport.IsZero() && now.Sub(w.lastReport) < reportEvery {
		w.repMu.Unlock()
		return
	}
	dropped, failures, cause := w.unDropped, w.unFailures, w.lastErr
	w.lastReport, w.unDropped, w.unFailures = now, 0, 0
	w.repMu.Unlock()
	l := w.o.ErrorLog
	if l == nil {
		l = slog.Default()
	}
	name := "the"
	if w.o.Name != "" {
		name = w.o.Name
	}
	attrs := []slog.Attr{slog.String("log", w.o.Name), slog.Uint64("dropped_lines", dropped), slog.Uint64("failed_writes", failures),
		slog.Uint64("dropped_lines_total", w.dropped.Load()), slog.Uint64("failed_writes_total", w.failures.Load()),
		slog.String("next_report", "at most once a minute")}
	if failures > 0 {
		l.LogAttrs(context.Background(), slog.LevelError, name+" log write failed: lines were lost", append(attrs, slog.String("err", cause))...)
		return
	}
	l.LogAttrs(context.Background(), slog.LevelError, name+" log lines dropped: the destination is slower than the lines arrive", attrs...)
}

// Destination is where lines go now (after the last Reopen).
func (w *Writer) Destination() io.Writer {
	w.dstMu.Lock()
	defer w.dstMu.Unlock()
	return w.dst
}
