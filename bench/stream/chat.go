package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/bench/internal/hist"
	"github.com/cozeauth/cozeauth/bench/internal/loopback"
	"github.com/cozeauth/cozeauth/bench/internal/report"
)

// chatBody is a small Coze chat request (bench/upstream ignores it).
const chatBody = `{"bot_id":"7000000000000000002","user_id":"bench","stream":true,"auto_save_history":false,` +
	`"additional_messages":[{"role":"user","content":"hello","content_type":"text"}]}`

// chatResult is the one JSON line printed in chat mode. Field names are
// unique so that a shell can pick any of them with sed.
type chatResult struct {
	Mode      string         `json:"mode"`
	URL       string         `json:"url"`
	Streams   int            `json:"streams"`
	OK        int64          `json:"ok"`
	Errors    int64          `json:"errors"`
	Status    map[string]int `json:"status,omitempty"`
	FirstErr  string         `json:"first_error,omitempty"`
	Events    int64          `json:"events"`
	PeakOpen  int64          `json:"peak_open"`
	Seconds   float64        `json:"seconds"`
	SlowMs    float64        `json:"slow_ms"`
	Slow      int64          `json:"events_over_slow"`
	DelayP50  float64        `json:"delay_p50_ms"`
	DelayP90  float64        `json:"delay_p90_ms"`
	DelayP99  float64        `json:"delay_p99_ms"`
	DelayMax  float64        `json:"delay_max_ms"`
	DelayMean float64        `json:"delay_mean_ms"`
	FirstP50  float64        `json:"first_event_p50_ms"`
	FirstP99  float64        `json:"first_event_p99_ms"`
}

// shards spread the recording of event delays over a few locked
// histograms: one per stream would cost 35 kB each.
const shards = 16

type tally struct {
	mu       sync.Mutex
	delay    hist.Histogram // event received - event sent
	first    hist.Histogram // request sent - first event received
	slow     int64
	events   int64
	ok       int64
	errors   int64
	status   map[int]int
	firstErr string
}

func (t *tally) finish(status int, events int64, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status[status]++
	t.events += events
	if err != nil {
		t.errors++
		if t.firstErr == "" {
			t.firstErr = err.Error()
		}
		return
	}
	t.ok++
}

// runChat opens c.streams chats, started evenly over c.ramp, and reads
// every event of each, timing it against its sent_ns.
func runChat(c *config) *chatResult {
	client := loopback.Client(c.streams, c.timeout)
	var open, peak atomic.Int64
	var tallies [shards]tally
	for i := range tallies {
		tallies[i].status = map[int]int{}
	}
	var wg sync.WaitGroup
	start := time.Now()
	for i := range c.streams {
		t := &tallies[i%shards]
		due := start.Add(time.Duration(int64(c.ramp) * int64(i) / int64(c.streams)))
		wg.Go(func() {
			time.Sleep(time.Until(due))
			status, events, err := chatOnce(client, c, t, func() {
				n := open.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
			})
			if status == http.StatusOK {
				open.Add(-1)
			}
			t.finish(status, events, err)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	all := &tally{status: map[int]int{}}
	for i := range tallies {
		t := &tallies[i]
		all.delay.Merge(&t.delay)
		all.first.Merge(&t.first)
		all.slow += t.slow
		all.events += t.events
		all.ok += t.ok
		all.errors += t.errors
		for k, v := range t.status {
			all.status[k] += v
		}
		if all.firstErr == "" {
			all.firstErr = t.firstErr
		}
	}
	d, f := all.delay.Summarize(), all.first.Summarize()
	res := &chatResult{
		Mode: "chat", URL: c.url, Streams: c.streams, OK: all.ok, Errors: all.errors,
		FirstErr: all.firstErr, Events: all.events, PeakOpen: peak.Load(),
		Seconds: hist.Round(elapsed.Seconds(), 3), SlowMs: hist.Ms(c.slow), Slow: all.slow,
		DelayP50: d.P50, DelayP90: d.P90, DelayP99: d.P99, DelayMax: d.Max, DelayMean: d.Mean,
		FirstP50: f.P50, FirstP99: f.P99,
	}
	res.Status = report.Statuses(all.status)
	return res
}

// chatOnce runs one streamed chat. It returns the HTTP status (0 when
// none came), the events timed, and why the stream failed, if it did:
// a non-200 answer, a body that is not an event stream, an error event,
// an event without sent_ns, or an end before the "done" event.
func chatOnce(client *http.Client, c *config, t *tally, opened func()) (int, int64, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, strings.NewReader(chatBody))
	if err != nil {
		return 0, 0, err
	}
	c.headers.Apply(req)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	sent := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		head, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return resp.StatusCode, 0, fmt.Errorf("HTTP %s: %s", resp.Status, strings.TrimSpace(string(head)))
	}
	opened()
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "text/event-stream" {
		return resp.StatusCode, 0, fmt.Errorf("content type %q, not an event stream", resp.Header.Get("Content-Type"))
	}
	sr := newSSEReader(resp.Body)
	var n int64
	for {
		ev, err := sr.next()
		now := time.Now()
		if err != nil {
			if err == io.EOF {
				err = errors.New("stream ended before the done event")
			}
			return resp.StatusCode, n, err
		}
		switch ev.name {
		case "done":
			// Read the end of the body, so the connection can be reused.
			_, err := io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
			return resp.StatusCode, n, err
		case "error":
			return resp.StatusCode, n, fmt.Errorf("error event: %.200s", ev.data)
		}
		ns, ok := sentNs(ev.data)
		if !ok {
			return resp.StatusCode, n, fmt.Errorf("event %q without sent_ns", ev.name)
		}
		delay := now.Sub(time.Unix(0, ns))
		t.mu.Lock()
		if n == 0 {
			t.first.Record(now.Sub(sent))
		}
		t.delay.Record(delay)
		if delay > c.slow {
			t.slow++
		}
		t.mu.Unlock()
		n++
	}
}
