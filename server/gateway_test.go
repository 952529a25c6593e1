package server

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestGatewayInjectsTokenAndCleansHeaders(t *testing.T) {
	f, up := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Set-Cookie", "coze_session=secret")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		okJSON(w, r)
	}, Options{})
	status, hdr, body := f.do(t, "GET", "/v1/bots/123?x=1", "", map[string]string{
		"Authorization": "Bearer sdk-placeholder", "X-User-ID": "alice", "Cookie": "a=b",
		"Connection": "X-Hop", "X-Hop": "1", AppHeader: "good", "X-Forwarded-For": "6.6.6.6",
	})
	if status != 200 || !strings.Contains(string(body), `"code":0`) {
		t.Fatalf("status %d: %s", status, body)
	}
	r := up.last()
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "Bearer czs_") {
		t.Fatalf("upstream Authorization %q, want the injected Coze token", auth)
	}
	if f.emu.MintsFor(goodClient, "alice") != 1 {
		t.Fatal("the token was not minted for the caller's session")
	}
	for _, h := range []string{"X-User-ID", "Cookie", "X-Hop", AppHeader, "X-API-Key"} {
		if r.Header.Get(h) != "" {
			t.Errorf("header %s reached Coze", h)
		}
	}
	if r.URL.Path != "/v1/bots/123" || r.URL.RawQuery != "x=1" {
		t.Fatalf("forwarded to %s", r.URL)
	}
	if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
		t.Fatalf("X-Forwarded-For %q: neither the caller's value nor its address goes to Coze", xff)
	}
	if !strings.HasPrefix(r.Host, "127.0.0.1:") {
		t.Fatalf("host %q", r.Host)
	}
	if hdr.Get("X-Tt-Logid") != "logid-123" || hdr.Get("Set-Cookie") != "" || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("answer headers %v", hdr)
	}
}

func TestGatewayRetriesOnceAfter401(t *testing.T) {
	var bodies []string
	fails := 1
	f, up := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		if fails > 0 {
			fails--
			w.WriteHeader(401)
			w.Write([]byte(`{"code":4100,"msg":"authentication is invalid"}`))
			return
		}
		okJSON(w, r)
	}, Options{})
	status, _, _ := f.do(t, "POST", "/v3/chat", `{"bot_id":"7"}`, nil)
	if status != 200 || up.count() != 2 || bodies[1] != `{"bot_id":"7"}` {
		t.Fatalf("status %d after %d upstream calls, bodies %q", status, up.count(), bodies)
	}
	first, second := up.seen[0].Header.Get("Authorization"), up.seen[1].Header.Get("Authorization")
	if first == second || f.emu.Mints() != 2 {
		t.Fatalf("the retry did not use a freshly minted token (mints %d)", f.emu.Mints())
	}
	// Refused again within the retry window: passed on, no new mint.
	fails = 5
	status, _, _ = f.do(t, "POST", "/v3/chat", `{"bot_id":"7"}`, nil)
	if status != 401 || up.count() != 3 || f.emu.Mints() != 2 {
		t.Fatalf("status %d after %d upstream calls, %d mints; want the 401 passed on without a re-mint", status, up.count(), f.emu.Mints())
	}
	// A streamed body is never replayed.
	fails = 1
	before := up.count()
	big := strings.Repeat("x", maxReplayBody+1)
	status, _, _ = f.do(t, "POST", "/v1/files/upload", big, nil)
	if status != 401 || up.count() != before+1 {
		t.Fatalf("large body: status %d, %d upstream calls; want the 401 passed on without a retry", status, up.count()-before)
	}
}

func TestGatewayPathAllowlistAndTricks(t *testing.T) {
	f, up := gatewayFixture(t, okJSON, Options{})
	acc, _ := testAccess(t)
	if err := f.server.Reload(f.withAccess(acc)); err != nil {
		t.Fatal(err)
	}
	widget := map[string]string{"Origin": shopOrigin}
	if status, _, body := f.do(t, "POST", "/v1/workflow/run", "{}", widget); status != 403 || !strings.Contains(string(body), "path_not_allowed") {
		t.Fatalf("public widget calling a workflow: %d %s", status, body)
	}
	widgetJSON := map[string]string{"Origin": shopOrigin, "Content-Type": "application/json"}
	if status, hdr, _ := f.do(t, "POST", "/v3/chat", `{"bot_id":"7001"}`, widgetJSON); status != 200 || hdr.Get("Access-Control-Allow-Origin") != shopOrigin {
		t.Fatalf("public widget chatting: %d %v", status, hdr)
	}
	if status, _, _ := f.do(t, "POST", "/v3/chat", "{}", nil); status != 401 {
		t.Fatalf("no key: %d", status)
	}
	calls := up.count()
	for _, p := range []string{"/v1/../token", "/v1/%2e%2e/token", "/v1//bots", "/v1/a%2fb", "/v3/./chat", "/v1/a%5Cb"} {
		req, _ := http.NewRequest("GET", f.srv.URL+"/x", nil)
		req.URL.Opaque = p // send the path exactly as written
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(body), "bad_path") {
			t.Errorf("%s: %d %s", p, resp.StatusCode, body)
		}
	}
	if status, _, _ := f.do(t, "GET", "/v2/anything", "", nil); status != 404 {
		t.Fatalf("unknown root: %d", status)
	}
	if up.count() != calls {
		t.Fatal("a refused request reached Coze")
	}
}

func TestGatewayStreamsEventsAsTheyCome(t *testing.T) {
	release := make(chan struct{})
	done := make(chan struct{})
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		defer close(done)
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event:conversation.chat.created\ndata:{}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "event:done\ndata:\"[DONE]\"\n\n")
	}, Options{})
	resp, err := http.Post(f.srv.URL+"/v3/chat", "application/json", strings.NewReader(`{"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	rd := bufio.NewReader(resp.Body)
	line, err := rd.ReadString('\n')
	if err != nil || line != "event:conversation.chat.created\n" {
		t.Fatalf("first event not delivered before the stream ended: %q %v", line, err)
	}
	close(release)
	rest, _ := io.ReadAll(rd)
	if !strings.Contains(string(rest), "event:done") {
		t.Fatalf("stream tail %q", rest)
	}
	<-done
}

func TestGatewayClientDisconnectCancelsUpstream(t *testing.T) {
	canceled := make(chan struct{})
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event:ping\ndata:{}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(canceled)
	}, Options{})
	base := runtime.NumGoroutine()
	for range 20 {
		resp, err := http.Post(f.srv.URL+"/v3/chat", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		bufio.NewReader(resp.Body).ReadString('\n')
		resp.Body.Close() // hang up mid-stream
		select {
		case <-canceled:
		case <-time.After(5 * time.Second):
			t.Fatal("the upstream stream was not cancelled when the caller left")
		}
		canceled = make(chan struct{})
	}
	http.DefaultClient.CloseIdleConnections()
	waitGoroutines(t, base, "20 abandoned streams")
}

// waitGoroutines fails unless the goroutine count settles back to about
// base within 5 s: what ran since base leaked nothing.
func waitGoroutines(t *testing.T, base int, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base+5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base+5 {
		t.Fatalf("%d goroutines after %s, %d before: a leak", n, what, base)
	}
}

func TestGatewayStreamsLargeUploads(t *testing.T) {
	var gotSum [32]byte
	var gotLen int64
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		gotLen, _ = io.Copy(h, r.Body)
		copy(gotSum[:], h.Sum(nil))
		okJSON(w, r)
	}, Options{})
	const size = 32 << 20
	pr, pw := io.Pipe()
	want := sha256.New()
	go func() {
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 4096)
		for sent := 0; sent < size; sent += len(chunk) {
			want.Write(chunk)
			if _, err := pw.Write(chunk); err != nil {
				return
			}
		}
		pw.Close()
	}()
	resp, err := http.Post(f.srv.URL+"/v1/files/upload", "multipart/form-data; boundary=x", pr)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || gotLen != size || !bytes.Equal(gotSum[:], want.Sum(nil)) {
		t.Fatalf("status %d, %d bytes arrived of %d, checksum match %v", resp.StatusCode, gotLen, size, bytes.Equal(gotSum[:], want.Sum(nil)))
	}
}

func TestGatewayUpstreamFailures(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/hang":
			select {
			case <-hang:
			case <-r.Context().Done():
			}
		case "/v1/reset":
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		case "/v3/chat": // one event, then the connection drops mid-stream
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "event:conversation.chat.created\ndata:{}\n\n")
			w.(http.Flusher).Flush()
			c, _, _ := w.(http.Hijacker).Hijack()
			c.Close()
		}
	}, Options{GatewayTimeout: 300 * time.Millisecond})
	base := runtime.NumGoroutine()
	for range 5 {
		for path, want := range map[string]string{"/v1/hang": "upstream_timeout", "/v1/reset": "upstream_error"} {
			status, _, body := f.do(t, "GET", path, "", nil)
			if e := decode[errAnswer](t, body).Error; (status != 504 && status != 502) || e.Code != want {
				t.Errorf("%s: %d %s, want %s", path, status, body, want)
			}
		}
		// A stream cut upstream reaches the caller as a stream that ends
		// after the events that were sent, not as a hang.
		resp, err := http.Post(f.srv.URL+"/v3/chat", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(got), "conversation.chat.created") {
			t.Fatalf("cut stream: %d %q", resp.StatusCode, got)
		}
	}
	http.DefaultClient.CloseIdleConnections()
	f.srv.Client().CloseIdleConnections()
	waitGoroutines(t, base, "hung, reset and cut upstreams")
}

func TestGatewayPrefix(t *testing.T) {
	f := newFixture(t)
	f.cfg.GatewayPrefix = "/coze"
	s := mustNew(t, f.cfg, f.b, Options{})
	rec := recorderWith(s, "GET", "/coze/v1/users/me", "", map[string]string{"X-User-ID": "p"})
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"user_id"`) {
		t.Fatalf("prefixed call: %d %s", rec.Code, rec.Body)
	}
	if rec := recorderWith(s, "GET", "/v1/users/me", "", nil); rec.Code != 404 {
		t.Fatalf("unprefixed call with a prefix configured: %d", rec.Code)
	}
}
