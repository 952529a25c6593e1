package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fakeChat streams ?n= events carrying sent_ns, then "done" unless
// ?cut=1; it answers 401 without "Authorization: Bearer ok".
func fakeChat(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer ok" {
		http.Error(w, `{"code":4100,"msg":"authentication is invalid"}`, http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream; charset=utf-8")
	n := 3
	fmt.Sscan(r.URL.Query().Get("n"), &n)
	for i := range n {
		fmt.Fprintf(w, "event:conversation.message.delta\ndata:{\"seq\":%d,\"sent_ns\":%d}\n\n", i, time.Now().UnixNano())
		w.(http.Flusher).Flush()
	}
	if r.URL.Query().Get("cut") == "" {
		fmt.Fprint(w, "event:done\ndata:\"[DONE]\"\n\n")
	}
}

func TestRunChat(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(fakeChat))
	defer srv.Close()
	run := func(query, auth string, n int) *chatResult {
		c := config{url: srv.URL + "/v3/chat?" + query, streams: n, ramp: 10 * time.Millisecond, timeout: 5 * time.Second, slow: time.Hour}
		if auth != "" {
			_ = c.headers.Set("Authorization: " + auth)
		}
		if err := c.check(); err != nil {
			t.Fatal(err)
		}
		return runChat(&c)
	}
	r := run("n=5", "Bearer ok", 20)
	if r.OK != 20 || r.Errors != 0 || r.Events != 100 || r.Status["200"] != 20 || r.Slow != 0 {
		t.Fatalf("good streams: %+v", r)
	}
	if r.DelayMax <= 0 || r.DelayMax > 1000 || r.PeakOpen < 1 || r.PeakOpen > 20 {
		t.Fatalf("delays or peak: %+v", r)
	}
	r = run("n=2&cut=1", "Bearer ok", 3)
	if r.OK != 0 || r.Errors != 3 || r.Events != 6 || r.FirstErr != "stream ended before the done event" {
		t.Fatalf("cut streams: %+v", r)
	}
	r = run("", "", 2)
	if r.OK != 0 || r.Errors != 2 || r.Status["401"] != 2 || r.PeakOpen != 0 {
		t.Fatalf("refused streams: %+v", r)
	}
}
