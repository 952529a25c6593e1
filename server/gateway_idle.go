package server

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// A gateway request holds two connections for as long as bytes move and
// no longer: each direction has an idle timeout that every bit of
// progress pushes back. This file holds the three places bytes move — the
// caller's upload (idleBody), the answer to the caller (gatewayWriter,
// idleConn once a WebSocket is hijacked) and Coze's answer (idleUpstream).

// errUpstreamIdle cuts a Coze answer that stalled.
var errUpstreamIdle = errors.New("the Coze API sent nothing for the gateway idle timeout")

// gatewayWriter is the ResponseWriter a gateway call writes through: each
// Write and Flush first pushes the connection's write deadline idle ahead
// (a caller that stops reading is cut after idle), and it records the
// status and bytes for the audit line. Flush, Hijack and Unwrap keep
// streaming and WebSocket upgrades working.
type gatewayWriter struct {
	http.ResponseWriter
	rc       *http.ResponseController
	idle     time.Duration
	status   int
	bytes    atomic.Int64 // also counted by a hijacked connection's goroutines
	hijacked bool
}

func newGatewayWriter(w http.ResponseWriter, idle time.Duration) *gatewayWriter {
	gw := &gatewayWriter{ResponseWriter: w, rc: http.NewResponseController(w), idle: idle}
	// No deadline while waiting on Coze; each write sets its own.
	_ = gw.rc.SetWriteDeadline(time.Time{})
	return gw
}

func (w *gatewayWriter) extend() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.idle)) }

func (w *gatewayWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 || code == http.StatusSwitchingProtocols {
		w.status = code
	}
	w.extend()
	w.ResponseWriter.WriteHeader(code)
}

func (w *gatewayWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.extend()
	n, err := w.ResponseWriter.Write(p)
	w.bytes.Add(int64(n))
	return n, err
}

func (w *gatewayWriter) FlushError() error {
	w.extend()
	return w.rc.Flush()
}

func (w *gatewayWriter) Flush() { _ = w.FlushError() }

func (w *gatewayWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands over the caller's connection for a WebSocket, wrapped so
// that it too is cut after idle without a byte either way.
func (w *gatewayWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := w.rc.Hijack()
	if err != nil {
		return nil, nil, err
	}
	w.hijacked = true
	w.status = http.StatusSwitchingProtocols
	ic := &idleConn{Conn: conn, idle: w.idle, bytes: &w.bytes}
	ic.extend()
	return ic, brw, nil
}

// done gives the server's final flush of the answer idle to go out.
func (w *gatewayWriter) done() {
	if !w.hijacked {
		w.extend()
	}
}

// idleConn is a hijacked connection whose deadlines move idle ahead with
// every byte read or written: a WebSocket lives as long as either side
// talks.
type idleConn struct {
	net.Conn
	idle  time.Duration
	bytes *atomic.Int64
}

func (c *idleConn) extend() { _ = c.Conn.SetDeadline(time.Now().Add(c.idle)) }

func (c *idleConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.extend()
	}
	return n, err
}

func (c *idleConn) Write(p []byte) (int, error) {
	c.extend()
	n, err := c.Conn.Write(p)
	c.bytes.Add(int64(n))
	return n, err
}

// CloseWrite half-closes when the connection can (TCP), so the proxy can
// pass on an end of stream.
func (c *idleConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Conn.Close()
}

// idleBody is a caller's request body whose every read that brings bytes
// pushes the connection's read deadline idle ahead: an upload that keeps
// coming is never cut, one that stalls is cut after idle. At the end of
// the body the read deadline is lifted: the caller now only waits for the
// answer, which the write side bounds.
type idleBody struct {
	io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	stalled atomic.Bool
}

func newIdleBody(r *http.Request, rc *http.ResponseController, idle time.Duration) *idleBody {
	b := &idleBody{ReadCloser: r.Body, rc: rc, idle: idle}
	_ = rc.SetReadDeadline(time.Now().Add(idle))
	return b
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		_ = b.rc.SetReadDeadline(time.Now().Add(b.idle))
	}
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF):
		_ = b.rc.SetReadDeadline(time.Time{})
	case errors.As(err, &ne) && ne.Timeout():
		b.stalled.Store(true)
	}
	return n, err
}

// idleUpstream is Coze's answer body, cut (by cancelling the upstream
// request) when no byte arrives for idle.
type idleUpstream struct {
	io.ReadCloser
	idle  time.Duration
	timer *time.Timer
}

func newIdleUpstream(body io.ReadCloser, idle time.Duration, cancel context.CancelCauseFunc) *idleUpstream {
	return &idleUpstream{ReadCloser: body, idle: idle, timer: time.AfterFunc(idle, func() { cancel(errUpstreamIdle) })}
}

func (u *idleUpstream) Read(p []byte) (int, error) {
	n, err := u.ReadCloser.Read(p)
	if n > 0 {
		u.timer.Reset(u.idle)
	}
	if err != nil {
		u.timer.Stop()
	}
	return n, err
}

func (u *idleUpstream) Close() error {
	u.timer.Stop()
	return u.ReadCloser.Close()
}
