package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/bench/internal/header"
	"github.com/cozeauth/cozeauth/bench/internal/hist"
	"github.com/cozeauth/cozeauth/bench/internal/loopback"
)

// Hard limits, whatever the flags.
const (
	maxConns    = 256
	maxRate     = 100_000
	maxDuration = 10 * time.Minute
)

type side struct {
	url     string
	headers header.List
	client  *http.Client
}

type config struct {
	a, b    side
	method  string
	conns   int
	rate    float64
	dur     time.Duration
	warmup  time.Duration
	timeout time.Duration
}

func main() {
	var c config
	flag.StringVar(&c.a.url, "a", "", "URL A, the reference (loopback only)")
	flag.Var(&c.a.headers, "a-header", "header Key:Value for A (repeatable)")
	flag.StringVar(&c.b.url, "b", "", "URL B, measured against A (loopback only)")
	flag.Var(&c.b.headers, "b-header", "header Key:Value for B (repeatable)")
	flag.StringVar(&c.method, "method", http.MethodGet, "HTTP method, bodyless")
	flag.IntVar(&c.conns, "c", 4, "workers (and connections per side)")
	flag.Float64Var(&c.rate, "rate", 1000, "requests per second, A and B together")
	flag.DurationVar(&c.dur, "d", 10*time.Second, "measured duration")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "the same load first, not measured")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Second, "per request")
	flag.Parse()
	if err := c.check(); err != nil {
		fmt.Fprintln(os.Stderr, "pair:", err)
		os.Exit(2)
	}
	c.a.client = loopback.Client(c.conns, c.timeout)
	c.b.client = loopback.Client(c.conns, c.timeout)
	if c.warmup > 0 {
		run(&c, c.warmup)
	}
	out, _ := json.Marshal(summarize(run(&c, c.dur)))
	fmt.Println(string(out))
}

func (c *config) check() error {
	if err := loopback.CheckFlag("-a", c.a.url); err != nil {
		return err
	}
	if err := loopback.CheckFlag("-b", c.b.url); err != nil {
		return err
	}
	switch {
	case c.conns < 1 || c.conns > maxConns:
		return fmt.Errorf("-c must be in [1, %d]", maxConns)
	case c.rate <= 0 || c.rate > maxRate:
		return fmt.Errorf("-rate must be in (0, %d]", maxRate)
	case c.dur <= 0 || c.dur > maxDuration || c.warmup < 0 || c.warmup > maxDuration:
		return fmt.Errorf("-d must be in (0, %v], -warmup in [0, %v]", maxDuration, maxDuration)
	case c.timeout <= 0 || c.timeout > time.Minute:
		return errors.New("-timeout must be in (0, 1m]")
	}
	return nil
}

// tally is one side's figures.
type tally struct {
	hist     hist.Histogram
	errors   int64
	firstErr string
}

func (t *tally) merge(o *tally) {
	t.hist.Merge(&o.hist)
	t.errors += o.errors
	if t.firstErr == "" {
		t.firstErr = o.firstErr
	}
}

// due is when request k (0-based) of a run is sent: k/rate after start.
func due(start time.Time, rate float64, k int64) time.Time {
	return start.Add(time.Duration(float64(k) / rate * float64(time.Second)))
}

// run sends the interleaved schedule for d and returns A's and B's
// tallies.
func run(c *config, d time.Duration) (a, b *tally) {
	start := time.Now()
	end := start.Add(d)
	ctx, cancel := context.WithDeadline(context.Background(), end.Add(c.timeout))
	defer cancel()
	var next atomic.Int64
	each := make([][2]tally, c.conns)
	var wg sync.WaitGroup
	for w := range each {
		wg.Go(func() {
			for {
				k := next.Add(1) - 1
				at := due(start, c.rate, k)
				if !at.Before(end) {
					return
				}
				time.Sleep(time.Until(at))
				s, t := &c.a, &each[w][0]
				if k%2 == 1 {
					s, t = &c.b, &each[w][1]
				}
				t.do(ctx, s, c.method)
			}
		})
	}
	wg.Wait()
	a, b = new(tally), new(tally)
	for i := range each {
		a.merge(&each[i][0])
		b.merge(&each[i][1])
	}
	return a, b
}

// do sends one request and records its latency; a non-200 answer or a
// transport error counts as an error (and is not timed).
func (t *tally) do(ctx context.Context, s *side, method string) {
	req, err := http.NewRequestWithContext(ctx, method, s.url, nil)
	if err != nil {
		t.fail(err)
		return
	}
	s.headers.Apply(req)
	start := time.Now()
	resp, err := s.client.Do(req)
	if err != nil {
		t.fail(err)
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	lat := time.Since(start)
	switch {
	case err != nil:
		t.fail(err)
	case resp.StatusCode != http.StatusOK:
		t.fail(fmt.Errorf("%s: HTTP %s", s.url, resp.Status))
	default:
		t.hist.Record(lat)
	}
}

func (t *tally) fail(err error) {
	t.errors++
	if t.firstErr == "" {
		t.firstErr = err.Error()
	}
}

// result is the one JSON line printed; flat, with unique field names.
type result struct {
	ARequests int64   `json:"a_requests"`
	AErrors   int64   `json:"a_errors"`
	AP50      float64 `json:"a_p50_ms"`
	AP90      float64 `json:"a_p90_ms"`
	AP99      float64 `json:"a_p99_ms"`
	AMax      float64 `json:"a_max_ms"`
	AMean     float64 `json:"a_mean_ms"`
	BRequests int64   `json:"b_requests"`
	BErrors   int64   `json:"b_errors"`
	BP50      float64 `json:"b_p50_ms"`
	BP90      float64 `json:"b_p90_ms"`
	BP99      float64 `json:"b_p99_ms"`
	BMax      float64 `json:"b_max_ms"`
	BMean     float64 `json:"b_mean_ms"`
	AddedP50  float64 `json:"added_p50_ms"`
	AddedP99  float64 `json:"added_p99_ms"`
	AddedMean float64 `json:"added_mean_ms"`
	FirstErr  string  `json:"first_error,omitempty"`
}

func summarize(a, b *tally) *result {
	sa, sb := a.hist.Summarize(), b.hist.Summarize()
	r := &result{
		ARequests: sa.N + a.errors, AErrors: a.errors, AP50: sa.P50, AP90: sa.P90, AP99: sa.P99, AMax: sa.Max, AMean: sa.Mean,
		BRequests: sb.N + b.errors, BErrors: b.errors, BP50: sb.P50, BP90: sb.P90, BP99: sb.P99, BMax: sb.Max, BMean: sb.Mean,
		AddedP50:  hist.Round(sb.P50-sa.P50, 3),
		AddedP99:  hist.Round(sb.P99-sa.P99, 3),
		AddedMean: hist.Round(sb.Mean-sa.Mean, 3),
		FirstErr:  a.firstErr,
	}
	if r.FirstErr == "" {
		r.FirstErr = b.firstErr
	}
	return r
}
