package server

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

// sizedHead sends a GET /healthz whose request line and header lines
// take exactly size bytes, and returns the response.
func sizedHead(t *testing.T, base string, size int) (*http.Response, []byte) {
	t.Helper()
	addr := strings.TrimPrefix(base, "http://")
	head := "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
	const name = "X-Pad: "
	pad := size - len(head) - len(name) - 2
	if pad < 0 {
		t.Fatalf("size %d too small", size)
	}
	head += name + strings.Repeat("a", pad) + "\r\n"
	if len(head) != size {
		t.Fatalf("built %d bytes, want %d", len(head), size)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, head+"\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}

// The README's limit holds to the byte: a head of 16 KiB is served, one
// byte more gets 431 in the JSON error shape, with X-Cozeauth-Error, up
// to net/http's own cut-off.
func TestHeaderLimitIsExactly16KiB(t *testing.T) {
	f := newFixture(t)
	base := startServe(t, f)
	if resp, body := sizedHead(t, base, MaxHeaderBytes); resp.StatusCode != 200 {
		t.Fatalf("a head of exactly %d bytes: %d %s", MaxHeaderBytes, resp.StatusCode, body)
	}
	for _, size := range []int{MaxHeaderBytes + 1, MaxHeaderBytes + 3000} {
		resp, body := sizedHead(t, base, size)
		var e errAnswer
		if resp.StatusCode != 431 || resp.Header.Get(ErrorHeader) != "headers_too_large" || resp.Header.Get("Content-Type") != "application/json" {
			t.Fatalf("%d bytes: %d %v %s", size, resp.StatusCode, resp.Header, body)
		}
		if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != "headers_too_large" || !strings.Contains(e.Error.Message, fmt.Sprint(size)) {
			t.Errorf("%d bytes: body %s (%v)", size, body, err)
		}
	}
}
