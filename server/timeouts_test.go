package server

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
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
