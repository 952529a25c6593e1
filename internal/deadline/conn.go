package deadline

import (
	"io"
	"math"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// never is the recorded deadline of a direction without one.
const never = math.MaxInt64

// Conn is a connection from a Listener. Its deadlines are recorded and set
// on the underlying connection by the listener's sweeper once passed.
type Conn struct {
	net.Conn
	l    *Listener
	mu   sync.Mutex // taken to change the underlying connection's deadlines
	r, w direction
	gone sync.Once
}

// direction is one of a Conn's two deadlines.
type direction struct {
	at    atomic.Int64 // the deadline asked for, as Listener.since; never when none
	armed atomic.Bool  // the underlying connection may have a deadline (see set)
	set   int64        // the deadline the underlying connection has; under Conn.mu
}

func (d *direction) init() {
	d.at.Store(never)
	d.set = never
}

// SetReadDeadline records t as the read deadline.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.record(&c.r, t)
}

// SetWriteDeadline records t as the write deadline.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	return c.record(&c.w, t)
}

// SetDeadline records t as both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	err := c.record(&c.r, t)
	if e := c.record(&c.w, t); err == nil {
		err = e
	}
	return err
}

// record stores t and returns at once when t is far off and the
// underlying connection has no deadline to change: the common case.
// Otherwise it brings the underlying connection's deadline up to date.
//
// A sweep marks a direction armed before it reads the deadline, and record
// stores the deadline before it reads armed; so when record sees armed
// false, any sweep still under way reads the new deadline, and a sweep
// never leaves a stale deadline set after a record has moved it.
func (c *Conn) record(d *direction, t time.Time) error {
	at := int64(never)
	if !t.IsZero() {
		at = c.l.since(t)
	}
	d.at.Store(at)
	if !d.armed.Load() && at > c.l.soon() {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.update(d, c.l.soon())
}

// check, run by the sweeper, sets the deadlines passed by now.
func (c *Conn) check(now int64) {
	for _, d := range [2]*direction{&c.r, &c.w} {
		if d.at.Load() <= now || d.armed.Load() {
			c.mu.Lock()
			_ = c.update(d, now)
			c.mu.Unlock()
		}
	}
}

// update gives the underlying connection d's deadline when it is due by
// due, or when it has it already; otherwise no deadline. Under c.mu.
func (c *Conn) update(d *direction, due int64) error {
	d.armed.Store(true) // before reading at: see record
	at := d.at.Load()
	want := int64(never)
	if at != never && (at <= due || at == d.set) {
		want = at
	}
	var err error
	if want != d.set {
		var t time.Time
		if want != never {
			t = c.l.base.Add(time.Duration(want))
		}
		if d == &c.w {
			err = c.Conn.SetWriteDeadline(t)
		} else {
			err = c.Conn.SetReadDeadline(t)
		}
		d.set = want
	}
	if want == never {
		d.armed.Store(false)
	}
	return err
}

// Close closes the connection and stops watching its deadlines.
func (c *Conn) Close() error {
	c.gone.Do(func() { c.l.forget(c) })
	return c.Conn.Close()
}

// CloseWrite shuts down the writing side when the underlying connection
// can (net/http uses it to close a connection gracefully).
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// ReadFrom lets the underlying connection copy from r its own way
// (sendfile or splice for a *net.TCPConn).
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// writerOnly hides a writer's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }
