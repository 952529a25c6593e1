package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
)

// The idle timeout in these tests is short; the bounds they check are
// generous (a cut must come within cutWithin, a steady sender pauses a
// tenth of the idle timeout), so a loaded machine does not flake them.
const (
	testIdle  = 400 * time.Millisecond
	cutWithin = 10 * time.Second
)

func idleOptions() Options { return Options{Gateway: config.Gateway{IdleTimeout: testIdle}} }

// TestGatewayCutsStalledUpload holds the slow-loris upload: a caller that
// starts an upload and stops sending is cut after the idle timeout
// (today it held the connection for an hour).
func TestGatewayCutsStalledUpload(t *testing.T) {
	gotErr := make(chan error, 1)
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := io.Copy(io.Discard, r.Body)
		gotErr <- err
		okJSON(w, r)
	}, idleOptions())
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/files/upload HTTP/1.1\r\nHost: gw\r\nContent-Type: application/octet-stream\r\nContent-Length: 1000000\r\n\r\n")
	conn.Write([]byte(strings.Repeat("x", 1000))) // then nothing more
	_ = conn.SetReadDeadline(time.Now().Add(cutWithin))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		t.Fatalf("a stalled upload still held its connection after %v (idle timeout %v)", cutWithin, testIdle)
	case err == nil && resp.StatusCode != http.StatusRequestTimeout:
		t.Fatalf("stalled upload answered %d, want 408 or a closed connection", resp.StatusCode)
	}
	select {
	case err := <-gotErr:
		if err == nil {
			t.Fatal("Coze received the cut upload as complete")
		}
	case <-time.After(cutWithin):
		t.Fatal("the upstream upload was not ended")
	}
}

// TestGatewayKeepsSteadyUpload holds the other side: an upload that keeps
// coming, slowly, for several idle timeouts is not cut.
func TestGatewayKeepsSteadyUpload(t *testing.T) {
	t.Parallel()
	// A longer idle timeout than the other tests' leaves each pause 15
	// times shorter than it, so that a busy machine's scheduling delays
	// are not mistaken for a stalled upload.
	const idle = 1500 * time.Millisecond
	var got atomic.Int64
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		got.Store(n)
		okJSON(w, r)
	}, Options{Gateway: config.Gateway{IdleTimeout: idle}})
	const chunks, size = 50, 2048 // 100 KiB over 50 × 100 ms: over three idle timeouts in all
	pr, pw := io.Pipe()
	go func() {
		tick := time.NewTicker(idle / 15)
		defer tick.Stop()
		for range chunks {
			<-tick.C
			if _, err := pw.Write([]byte(strings.Repeat("y", size))); err != nil {
				return
			}
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", f.srv.URL+"/v1/files/upload", pr)
	req.ContentLength = chunks * size
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || got.Load() != chunks*size {
		t.Fatalf("steady upload: %d, %d of %d bytes arrived", resp.StatusCode, got.Load(), chunks*size)
	}
}

// TestGatewayCutsCallerThatNeverReads holds the reader that never reads:
// once its socket buffers are full and nothing moves for the idle
// timeout, the call ends and the upstream request is cancelled.
func TestGatewayCutsCallerThatNeverReads(t *testing.T) {
	canceled := make(chan struct{})
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(canceled)
		w.Header().Set("Content-Type", "application/octet-stream")
		chunk := []byte(strings.Repeat("z", 64<<10))
		for {
			if _, err := w.Write(chunk); err != nil {
				return
			}
			if r.Context().Err() != nil {
				return
			}
		}
	}, idleOptions())
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/files/retrieve HTTP/1.1\r\nHost: gw\r\n\r\n") // and never read
	select {
	case <-canceled:
	case <-time.After(cutWithin):
		t.Fatalf("a caller that never reads still held the call after %v (idle timeout %v)", cutWithin, testIdle)
	}
}

// TestGatewayCutsStalledUpstream holds a Coze stream that stops sending:
// the caller's answer ends after the idle timeout instead of hanging.
func TestGatewayCutsStalledUpstream(t *testing.T) {
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event:conversation.chat.created\ndata:{}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done() // stalls until cut
	}, idleOptions())
	client := &http.Client{Timeout: cutWithin}
	resp, err := client.Post(f.srv.URL+"/v1/stream", "application/json", strings.NewReader(`{}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if errors.Is(err, os.ErrDeadlineExceeded) || err != nil && strings.Contains(err.Error(), "Client.Timeout") {
		t.Fatalf("a stalled Coze stream still held the caller after %v (idle timeout %v)", cutWithin, testIdle)
	}
	if !strings.Contains(string(got), "conversation.chat.created") {
		t.Fatalf("the events sent before the stall were lost: %q", got)
	}
}

// TestGatewayCutsIdleWebSocket: a WebSocket through the gateway lives
// while either side talks, and is closed after the idle timeout of
// silence.
func TestGatewayCutsIdleWebSocket(t *testing.T) {
	var f *fixture
	f, _ = gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) { f.emu.ServeHTTP(w, r) }, idleOptions())
	conn, err := net.Dial("tcp", strings.TrimPrefix(f.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /v1/chat?bot_id=7001 HTTP/1.1\r\nHost: gw\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\n\r\n")
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("upgrade: %v %v", resp, err)
	}
	if op, p := readServerFrame(t, br); op != 0x1 || !strings.Contains(string(p), `"chat.created"`) {
		t.Fatalf("first event %d %q", op, p)
	}
	// Talk for three idle timeouts: the connection stays.
	for range 12 {
		time.Sleep(testIdle / 4)
		writeClientFrame(t, conn, 0x1, []byte(`{"id":"1","event_type":"conversation.clear"}`))
		if op, p := readServerFrame(t, br); op != 0x1 || !strings.Contains(string(p), `"conversation.cleared"`) {
			t.Fatalf("answer %d %q", op, p)
		}
	}
	// Then silence: the gateway closes it.
	_ = conn.SetReadDeadline(time.Now().Add(cutWithin))
	if _, err := io.ReadAll(br); errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("an idle WebSocket was still open after %v (idle timeout %v)", cutWithin, testIdle)
	}
}
