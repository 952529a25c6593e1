package deadline

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Tick is how often a Listener looks for passed deadlines: how late at
// most a deadline further out than two ticks takes effect.
const Tick = 250 * time.Millisecond

// Listener wraps a net.Listener; its connections have coarse deadlines
// (see the package documentation).
type Listener struct {
	net.Listener
	tick time.Duration

	base time.Time    // origin of the recorded deadlines (monotonic)
	now  atomic.Int64 // time since base at the last sweep or accept

	mu       sync.Mutex
	conns    map[*Conn]struct{}
	sweeping bool
	snap     []*Conn // the sweeper's copy of conns, reused
}

// NewListener wraps ln with a sweep every Tick.
func NewListener(ln net.Listener) *Listener { return newListener(ln, Tick) }

func newListener(ln net.Listener, tick time.Duration) *Listener {
	return &Listener{Listener: ln, tick: tick, base: time.Now(), conns: make(map[*Conn]struct{})}
}

// Accept waits for the next connection and returns it as a *Conn.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return l.track(c), nil
}

func (l *Listener) track(nc net.Conn) *Conn {
	c := &Conn{Conn: nc, l: l}
	c.r.init()
	c.w.init()
	l.now.Store(l.since(time.Now()))
	l.mu.Lock()
	l.conns[c] = struct{}{}
	if !l.sweeping {
		l.sweeping = true
		go l.sweep()
	}
	l.mu.Unlock()
	return c
}

func (l *Listener) forget(c *Conn) {
	l.mu.Lock()
	delete(l.conns, c)
	l.mu.Unlock()
}

// since is t as recorded: time since base, by the monotonic clock when t
// has a reading of it (time.Now().Add(d) does).
func (l *Listener) since(t time.Time) int64 { return int64(t.Sub(l.base)) }

// soon is the limit under which a deadline is set on the connection at
// once rather than left to the sweeper.
func (l *Listener) soon() int64 { return l.now.Load() + 2*int64(l.tick) }

// sweep sets the passed deadlines every tick, until no connection is
// left (the next Accept starts it again).
func (l *Listener) sweep() {
	t := time.NewTicker(l.tick)
	defer t.Stop()
	for range t.C {
		now := l.since(time.Now())
		l.now.Store(now)
		l.mu.Lock()
		if len(l.conns) == 0 {
			l.sweeping = false
			l.mu.Unlock()
			return
		}
		l.snap = l.snap[:0]
		for c := range l.conns {
			l.snap = append(l.snap, c)
		}
		l.mu.Unlock()
		for _, c := range l.snap {
			c.check(now)
		}
		clear(l.snap)
	}
}
