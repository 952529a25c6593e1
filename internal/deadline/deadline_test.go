package deadline

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"testing/synctest"
	"time"
)

// bubble runs f in a synctest bubble with a Listener, then closes the
// connections f left open and waits for the sweeper to stop: a bubble
// ends only when all its goroutines have.
func bubble(t *testing.T, f func(t *testing.T, l *Listener)) {
	synctest.Test(t, func(t *testing.T) {
		l := newListener(nil, Tick)
		f(t, l)
		l.mu.Lock()
		for c := range l.conns {
			c.Conn.Close()
			delete(l.conns, c)
		}
		l.mu.Unlock()
		time.Sleep(2 * Tick)
	})
}

// pipe returns a tracked connection and its other end.
func pipe(t *testing.T, l *Listener) (*Conn, net.Conn) {
	a, b := net.Pipe()
	c := l.track(a)
	t.Cleanup(func() { b.Close() })
	return c, b
}

// readFails reads from c, wants a deadline error within the hour, and
// returns how long the read took.
func readFails(t *testing.T, c net.Conn) time.Duration {
	t.Helper()
	start := time.Now()
	got := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		got <- err
	}()
	select {
	case err := <-got:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("read: %v, want a deadline error", err)
		}
	case <-time.After(time.Hour):
		c.(*Conn).Conn.Close()
		t.Fatal("the read still waited an hour later")
	}
	return time.Since(start)
}

// readByte reads one byte written by the other end in the background.
func readByte(t *testing.T, c, other net.Conn) {
	t.Helper()
	go other.Write([]byte("x"))
	b := make([]byte, 1)
	if _, err := io.ReadFull(c, b); err != nil || b[0] != 'x' {
		t.Fatalf("read %q, %v; want x", b, err)
	}
}

func TestFarDeadlinesFireWithinATick(t *testing.T) {
	bubble(t, func(t *testing.T, l *Listener) {
		c, b := pipe(t, l)
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		if d := readFails(t, c); d < 5*time.Second || d > 5*time.Second+Tick {
			t.Errorf("read deadline of 5s fired after %v", d)
		}

		start := time.Now()
		c.SetWriteDeadline(start.Add(30 * time.Second))
		_, err := c.Write([]byte("nobody reads this"))
		if d := time.Since(start); !errors.Is(err, os.ErrDeadlineExceeded) || d < 30*time.Second || d > 30*time.Second+Tick {
			t.Errorf("write: %v after %v, want a deadline error after 30s", err, d)
		}

		// Both, through SetDeadline.
		c.SetDeadline(time.Now().Add(2 * time.Second))
		if d := readFails(t, c); d < 2*time.Second || d > 2*time.Second+Tick {
			t.Errorf("SetDeadline: the read failed after %v", d)
		}
		_ = b
	})
}

func TestNearDeadlinesKeepTheirPrecision(t *testing.T) {
	bubble(t, func(t *testing.T, l *Listener) {
		c, _ := pipe(t, l)
		// Sweeps pass while the read waits; they must leave the
		// deadline in place.
		time.Sleep(Tick / 3)
		c.SetReadDeadline(time.Now().Add(Tick + Tick/2))
		if d := readFails(t, c); d != Tick+Tick/2 {
			t.Errorf("a deadline %v ahead fired after %v", Tick+Tick/2, d)
		}
	})
}

func TestPastDeadlinesAbortAtOnce(t *testing.T) {
	bubble(t, func(t *testing.T, l *Listener) {
		c, b := pipe(t, l)
		done := make(chan time.Duration)
		go func() { done <- readFails(t, c) }()
		synctest.Wait() // the read is blocked
		// net/http aborts a background read this way.
		c.SetReadDeadline(time.Unix(1, 0))
		if d := <-done; d != 0 {
			t.Errorf("a past deadline took %v to abort the read", d)
		}
		c.SetReadDeadline(time.Time{})
		readByte(t, c, b)
	})
}

func TestMovedDeadlinesDoNotFire(t *testing.T) {
	bubble(t, func(t *testing.T, l *Listener) {
		c, b := pipe(t, l)
		got := make(chan error)
		go func() {
			_, err := io.ReadFull(c, make([]byte, 1))
			got <- err
		}()
		// Ten seconds of a deadline kept one second ahead, then none.
		for range 100 {
			c.SetReadDeadline(time.Now().Add(time.Second))
			time.Sleep(100 * time.Millisecond)
		}
		c.SetReadDeadline(time.Time{})
		time.Sleep(5 * time.Second)
		b.Write([]byte("x"))
		if err := <-got; err != nil {
			t.Fatalf("the read failed: %v", err)
		}
	})
}

func TestPassedDeadlinesCanBeLifted(t *testing.T) {
	bubble(t, func(t *testing.T, l *Listener) {
		c, b := pipe(t, l)
		c.SetReadDeadline(time.Now().Add(time.Second))
		readFails(t, c)
		c.SetReadDeadline(time.Time{})
		readByte(t, c, b)
		c.SetReadDeadline(time.Now().Add(time.Hour))
		time.Sleep(3 * Tick)
		readByte(t, c, b)
		if c.r.armed.Load() {
			t.Error("with a far deadline again, setting one still takes the slow path")
		}
	})
}

func TestTheSweeperRunsOnlyWithConnections(t *testing.T) {
	bubble(t, func(t *testing.T, l *Listener) {
		sweeping := func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.sweeping
		}
		c, b := pipe(t, l)
		if !sweeping() {
			t.Fatal("no sweeper with a connection open")
		}
		c.Close()
		c.Close() // twice is harmless
		time.Sleep(2 * Tick)
		if sweeping() {
			t.Fatal("the sweeper still runs with no connection open")
		}
		b.Close()

		// The next connection starts it again.
		c, _ = pipe(t, l)
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		if d := readFails(t, c); d > 3*time.Second+Tick {
			t.Errorf("deadline fired after %v", d)
		}
	})
}

// Deadlines moved while sweeps set them, as fast as both can go: once
// the deadline is moved far away, the connection reads again, whatever
// the sweeps did in between.
func TestRacingSweepsLeaveNoStaleDeadline(t *testing.T) {
	const tick = time.Millisecond
	l := newListener(nil, tick)
	c, b := pipe(t, l)
	for i := range 200 {
		end := time.Now().Add(5 * tick)
		for time.Now().Before(end) {
			// Deadlines that fall due while the sweeper looks.
			c.SetReadDeadline(time.Now().Add(time.Duration(i%7) * tick / 2))
		}
		c.SetReadDeadline(time.Now().Add(time.Hour))
		time.Sleep(2 * tick)
		readByte(t, c, b)
	}
}

// accepted returns a Listener on a loopback port, a client connected to
// it and the connection it accepted; all closed when the test ends.
func accepted(t testing.TB) (*Listener, net.Conn, *Conn) {
	tcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(tcp)
	t.Cleanup(func() { l.Close() })
	client, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c, ok := nc.(*Conn)
	if !ok {
		t.Fatalf("Accept returned a %T", nc)
	}
	return l, client, c
}

func TestAcceptedConnections(t *testing.T) {
	l, client, c := accepted(t)
	if _, err := c.ReadFrom(io.LimitReader(zeros{}, 100000)); err != nil {
		t.Fatal(err)
	}
	if err := c.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, client)
	if n != 100000 || err != nil {
		t.Fatalf("the client read %d bytes, %v; want 100000 and EOF", n, err)
	}
	c.Close()
	l.mu.Lock()
	left := len(l.conns)
	l.mu.Unlock()
	if left != 0 {
		t.Errorf("%d connections still watched after Close", left)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }
