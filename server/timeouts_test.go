package server

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/internal/deadline"
)

// A client that announces a body and never sends it is cut off after
// bodyTimeout, on a path that reads the body (POST /token) and on one
// that does not (GET /healthz, whose body net/http drains after the
// handler); a bodiless request is not held to that timeout at all.
func TestStalledBodyTimesOut(t *testing.T) {
	old := bodyTimeout
	bodyTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyTimeout = old })
	addr := strings.TrimPrefix(startServe(t, newFixture(t)), "http://")

	for _, head := range []string{
		"POST /token HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
		"GET /healthz HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\nx",
		"POST /token HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{\r\n",
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		if _, err := c.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		// Read until the server closes: an answer may come first (400
		// for a broken body, 200 for /healthz), the close must follow.
		buf := make([]byte, 4096)
		for {
			if _, err := c.Read(buf); err != nil {
				if ne, ok := err.(net.Error); ok && ne.Timeout() {
					t.Fatalf("%q: the connection was still open after 10 s", head[:20])
				}
				break
			}
		}
		if d := time.Since(start); d < bodyTimeout/2 || d > 5*time.Second {
			t.Errorf("%q: closed after %v, want about %v", head[:20], d, bodyTimeout)
		}
		c.Close()
	}

	// Bodiless requests on one keep-alive connection, spaced over more
	// than bodyTimeout: each is answered.
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	br := bufio.NewReader(c)
	for i := range 3 {
		if i > 0 {
			time.Sleep(bodyTimeout * 2 / 3)
		}
		if _, err := c.Write([]byte("POST /token HTTP/1.1\r\nHost: localhost\r\nX-User-ID: u\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d on a kept-alive connection: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d", i, resp.StatusCode)
		}
	}
}

// testTimeout is the connection timeouts' value in tests: short, but further
// off than two deadline.Tick, so the deadline.Listener's sweeper enforces
// them rather than a timer.
const testTimeout = 2*deadline.Tick + 200*time.Millisecond

// shortTimeouts sets the connection timeouts to d for the test.
func shortTimeouts(t *testing.T, d time.Duration) {
	old := [...]time.Duration{headerTimeout, writeTimeout, idleTimeout}
	headerTimeout, writeTimeout, idleTimeout = d, d, d
	t.Cleanup(func() { headerTimeout, writeTimeout, idleTimeout = old[0], old[1], old[2] })
}

// dialShort starts a server with the connection timeouts at testTimeout
// and connects to it.
func dialShort(t *testing.T) net.Conn {
	shortTimeouts(t, testTimeout)
	addr := strings.TrimPrefix(startServe(t, newFixture(t)), "http://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedInTime reads c until the server closes it, and wants that to
// happen testTimeout after start, give or take a sweep and a second; it
// fails the test when c is still open after 10 s.
func closedInTime(t *testing.T, c net.Conn, start time.Time) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 64<<10)
	for {
		if _, err := c.Read(buf); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the connection was still open after 10 s")
			}
			break
		}
	}
	if d := time.Since(start); d < testTimeout || d > testTimeout+deadline.Tick+time.Second {
		t.Errorf("closed after %v, want about %v", d, testTimeout)
	}
}

// A request head that never ends is cut off after headerTimeout, even
// when it trickles in a byte at a time (the deadline does not move).
func TestStalledHeadTimesOut(t *testing.T) {
	c := dialShort(t)
	start := time.Now()
	go func() {
		head := "POST /token HTTP/1.1\r\nHost: localhost\r\nX-User-ID: "
		for i := 0; ; i++ {
			if _, err := c.Write([]byte{head[min(i, len(head)-1)]}); err != nil {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	// An answer (408 or 400) may come before the close.
	closedInTime(t, c, start)
}

// A kept-alive connection is closed after idleTimeout without a request,
// and stays open while requests come more often than that.
func TestIdleConnectionsClose(t *testing.T) {
	c := dialShort(t)
	br := bufio.NewReader(c)
	for i := range 4 {
		if i > 0 {
			time.Sleep(testTimeout / 2)
		}
		if _, err := c.Write([]byte("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("request %d, %v after the last: %v", i, testTimeout/2, err)
		}
		resp.Body.Close()
	}
	closedInTime(t, c, time.Now())
}

// A client that sends requests and never reads the answers is cut off
// once an answer could not be written within writeTimeout: its connection
// does not hold a goroutine and buffers forever.
func TestUnreadAnswersTimeOut(t *testing.T) {
	c := dialShort(t)
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	const n = 100000 // far more answers than the socket buffers hold
	go func() {
		req := []byte("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
		for range n {
			if _, err := c.Write(req); err != nil {
				return
			}
		}
	}()
	time.Sleep(3*testTimeout + deadline.Tick)
	// Now read: what was buffered, then the end of the connection.
	br := bufio.NewReader(c)
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	answers := 0
	for ; answers < n; answers++ {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection was still open 10 s later, after %d answers", answers)
			}
			break
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if answers == n {
		t.Fatalf("all %d answers came: the server waited for the client", n)
	}
}
