package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/bench/internal/header"
	"github.com/cozeauth/cozeauth/bench/internal/hist"
	"github.com/cozeauth/cozeauth/bench/internal/loopback"
	"github.com/cozeauth/cozeauth/bench/internal/report"
)

// Hard limits: the tool is bounded in count and time whatever the flags.
const (
	maxConns    = 4096
	maxBurst    = 10_000
	maxRequests = 50_000_000
	maxDuration = 15 * time.Minute
	maxRate     = 1_000_000
)

type config struct {
	url        string
	method     string
	conns      int
	dur        time.Duration
	n          int64
	sessions   string
	prefix     string
	warmup     time.Duration
	burst      int
	session    string
	preconnect string
	timeout    time.Duration
	rate       float64
	headers    header.List
	byStatus   bool
}

func main() {
	var c config
	flag.StringVar(&c.url, "url", "", "target URL; its host must be loopback (127.0.0.0/8, ::1 or localhost)")
	flag.StringVar(&c.method, "method", http.MethodPost, "HTTP method")
	flag.IntVar(&c.conns, "c", 64, "connections (worker goroutines)")
	flag.DurationVar(&c.dur, "d", 0, "measured duration (e.g. 10s); with -n, whichever ends first")
	flag.Int64Var(&c.n, "n", 0, "total requests (0: no count limit; then -d is required)")
	flag.StringVar(&c.sessions, "sessions", "hot", "hot: every request sends X-User-ID: hot; distinct: a new X-User-ID per request (-prefix + counter); none: no header")
	flag.StringVar(&c.prefix, "prefix", "s-", "X-User-ID prefix for -sessions distinct")
	flag.DurationVar(&c.warmup, "warmup", 0, "load sent first and not measured")
	flag.IntVar(&c.burst, "burst", 0, "burst mode: this many goroutines, released together, send one request each")
	flag.StringVar(&c.session, "session", "", "X-User-ID for every request (overrides -sessions; burst mode's session)")
	flag.StringVar(&c.preconnect, "preconnect", "", "burst mode: GET this loopback URL on every connection first, so the burst does not wait on dials")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Second, "per-request timeout")
	flag.Float64Var(&c.rate, "rate", 0, "requests per second in all (0: closed loop, as fast as the server answers)")
	flag.Var(&c.headers, "header", "extra request header Key:Value (repeatable)")
	flag.BoolVar(&c.byStatus, "by-status", false, "also report latency per HTTP status (loop mode)")
	flag.Parse()

	if err := c.check(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	var res *result
	var err error
	if c.burst > 0 {
		res, err = runBurst(&c)
	} else {
		res, err = runLoop(&c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	out, _ := json.Marshal(res)
	fmt.Println(string(out))
}

func (c *config) check() error {
	if err := loopback.CheckFlag("-url", c.url); err != nil {
		return err
	}
	if c.preconnect != "" {
		if err := loopback.CheckURL(c.preconnect); err != nil {
			return fmt.Errorf("-preconnect: %w", err)
		}
	}
	c.method = strings.ToUpper(c.method)
	switch c.sessions {
	case "hot", "distinct", "none":
	default:
		return fmt.Errorf("-sessions %q: use hot, distinct or none", c.sessions)
	}
	if c.timeout <= 0 || c.timeout > time.Minute {
		return errors.New("-timeout must be in (0, 1m]")
	}
	if c.warmup < 0 || c.warmup > maxDuration {
		return fmt.Errorf("-warmup must be in [0, %v]", maxDuration)
	}
	if c.rate < 0 || c.rate > maxRate {
		return fmt.Errorf("-rate must be in [0, %d]", maxRate)
	}
	if c.burst != 0 {
		if c.burst < 0 || c.burst > maxBurst {
			return fmt.Errorf("-burst must be in [1, %d]", maxBurst)
		}
		if c.session == "" {
			return errors.New("-burst needs -session NAME")
		}
		return nil
	}
	if c.conns < 1 || c.conns > maxConns {
		return fmt.Errorf("-c must be in [1, %d]", maxConns)
	}
	if c.dur < 0 || c.dur > maxDuration {
		return fmt.Errorf("-d must be in [0, %v]", maxDuration)
	}
	if c.n < 0 || c.n > maxRequests {
		return fmt.Errorf("-n must be in [0, %d]", maxRequests)
	}
	if c.dur == 0 && c.n == 0 {
		return errors.New("give -d DURATION or -n COUNT (or both)")
	}
	if c.dur == 0 {
		c.dur = maxDuration // -n alone is still bounded in time
	}
	return nil
}

// result is the one JSON line printed.
type result struct {
	Mode      string                  `json:"mode"`
	URL       string                  `json:"url"`
	Conns     int                     `json:"c"`
	Rate      float64                 `json:"rate,omitempty"`
	Requests  int64                   `json:"requests"`
	Errors    int64                   `json:"errors"`
	Status    map[string]int          `json:"status,omitempty"`
	Codes     map[string]int          `json:"error_codes,omitempty"`
	ByStatus  map[string]hist.Summary `json:"latency_by_status,omitempty"`
	FirstErr  string                  `json:"first_error,omitempty"`
	Seconds   float64                 `json:"seconds"`
	RPS       float64                 `json:"rps"`
	P50       float64                 `json:"p50_ms"`
	P90       float64                 `json:"p90_ms"`
	P99       float64                 `json:"p99_ms"`
	Max       float64                 `json:"max_ms"`
	Mean      float64                 `json:"mean_ms"`
	Sessions  string                  `json:"sessions"`
	FirstSess string                  `json:"first_session,omitempty"`
	LastSess  string                  `json:"last_session,omitempty"`
}

// stats is one worker's tally; workers keep their own and are merged at
// the end, so recording takes no lock.
type stats struct {
	hist     *hist.Histogram // nil: latencies are recorded by the caller
	byStatus map[int]*hist.Histogram
	requests int64
	errors   int64
	status   map[int]int
	codes    map[string]int
	firstErr string
}

func newStats(byStatus bool) *stats {
	s := &stats{hist: new(hist.Histogram), status: map[int]int{}, codes: map[string]int{}}
	if byStatus {
		s.byStatus = map[int]*hist.Histogram{}
	}
	return s
}

func (s *stats) merge(o *stats) {
	if o.hist != nil {
		s.hist.Merge(o.hist)
	}
	for k, h := range o.byStatus {
		if s.byStatus[k] == nil {
			s.byStatus[k] = new(hist.Histogram)
		}
		s.byStatus[k].Merge(h)
	}
	s.requests += o.requests
	s.errors += o.errors
	for k, v := range o.status {
		s.status[k] += v
	}
	for k, v := range o.codes {
		s.codes[k] += v
	}
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
}

// errorCode finds the "code" of a cozeauth error answer,
// {"error":{"code":"..."}}, in the first bytes of a body; "" if none.
func errorCode(body []byte) string {
	var v struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(bytes.TrimSpace(body), &v) != nil {
		return ""
	}
	return v.Error.Code
}

// do sends one request and records it.
func (s *stats) do(ctx context.Context, client *http.Client, c *config, session string) {
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, nil)
	if err != nil {
		s.fail(err.Error())
		return
	}
	c.headers.Apply(req)
	if session != "" { // after -header: the session wins over an X-User-ID given there
		req.Header["X-User-Id"] = []string{session}
	}
	start := time.Now()
	resp, err := client.Do(req)
	var code string
	if err == nil {
		if resp.StatusCode != http.StatusOK {
			head, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			code = errorCode(head)
		}
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	lat := time.Since(start)
	s.requests++
	if s.hist != nil {
		s.hist.Record(lat)
	}
	status := 0
	switch {
	case err != nil:
		s.errors++
		if s.firstErr == "" {
			s.firstErr = err.Error()
		}
	default:
		status = resp.StatusCode
		if status != http.StatusOK {
			s.errors++
			if code != "" {
				s.codes[code]++
			}
			if s.firstErr == "" {
				s.firstErr = "HTTP " + resp.Status
				if code != "" {
					s.firstErr += " " + code
				}
			}
		}
	}
	s.status[status]++
	if s.byStatus != nil {
		h := s.byStatus[status]
		if h == nil {
			h = new(hist.Histogram)
			s.byStatus[status] = h
		}
		h.Record(lat)
	}
}

func (s *stats) fail(msg string) {
	s.requests++
	s.errors++
	if s.firstErr == "" {
		s.firstErr = msg
	}
}

// pacer hands out send times on a fixed schedule of rate per second from
// start; a zero rate means "now" (closed loop).
type pacer struct {
	start time.Time
	rate  float64
}

// at is when request number k (0-based) of a phase is due.
func (p pacer) at(k int64) time.Time {
	if p.rate <= 0 {
		return time.Time{}
	}
	return p.start.Add(time.Duration(float64(k) / p.rate * float64(time.Second)))
}

// runLoop is closed-loop (or paced) mode: c.conns workers, each sending
// requests until the deadline or until c.n requests have been claimed.
func runLoop(c *config) (*result, error) {
	client := loopback.Client(c.conns, c.timeout)
	var counter atomic.Int64 // requests claimed, warmup included
	session := func(i int64) string {
		switch {
		case c.session != "":
			return c.session
		case c.sessions == "hot":
			return "hot"
		case c.sessions == "distinct":
			return c.prefix + strconv.FormatInt(i, 10)
		}
		return ""
	}
	phase := func(d time.Duration, limit int64, byStatus bool) (*stats, time.Duration) {
		deadline := time.Now().Add(d)
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(c.timeout))
		defer cancel()
		all := make([]*stats, c.conns)
		var wg sync.WaitGroup
		start := time.Now()
		pace := pacer{start: start, rate: c.rate}
		base := counter.Load()
		for w := range all {
			st := newStats(byStatus)
			all[w] = st
			wg.Go(func() {
				for time.Now().Before(deadline) {
					i := counter.Add(1)
					if limit > 0 && i > limit {
						return
					}
					if due := pace.at(i - base - 1); !due.IsZero() {
						if due.After(deadline) {
							return
						}
						time.Sleep(time.Until(due))
					}
					st.do(ctx, client, c, session(i))
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		total := newStats(byStatus)
		for _, st := range all {
			total.merge(st)
		}
		return total, elapsed
	}
	if c.warmup > 0 {
		phase(c.warmup, 0, false)
	}
	first := counter.Load() + 1
	var limit int64
	if c.n > 0 {
		limit = counter.Load() + c.n
	}
	st, elapsed := phase(c.dur, limit, c.byStatus)
	res := summarize("loop", c, c.conns, st, elapsed)
	if c.rate > 0 {
		res.Mode, res.Rate = "paced", c.rate
	}
	if c.sessions == "distinct" && c.session == "" && st.requests > 0 {
		res.FirstSess, res.LastSess = session(first), session(first+st.requests-1)
	}
	return res, nil
}

// runBurst is burst mode: c.burst goroutines, one connection each, wait at
// a barrier and then send one request each for c.session.
func runBurst(c *config) (*result, error) {
	client := loopback.Client(c.burst, c.timeout)
	if c.preconnect != "" {
		if err := preconnect(client, c.preconnect, c.burst); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	lats := make([]time.Duration, c.burst)
	each := make([]*stats, c.burst) // small: a histogram each would be 35 kB
	var ready, wg sync.WaitGroup
	gate := make(chan struct{})
	for i := range c.burst {
		ready.Add(1)
		wg.Go(func() {
			st := &stats{status: map[int]int{}, codes: map[string]int{}}
			each[i] = st
			ready.Done()
			<-gate
			start := time.Now()
			st.do(ctx, client, c, c.session)
			lats[i] = time.Since(start)
		})
	}
	ready.Wait()
	start := time.Now()
	close(gate)
	wg.Wait()
	elapsed := time.Since(start)
	total := newStats(false)
	for i, st := range each {
		total.merge(st)
		total.hist.Record(lats[i])
	}
	return summarize("burst", c, c.burst, total, elapsed), nil
}

// preconnect opens n keep-alive connections by sending n concurrent GETs
// to u (released together, so each needs its own connection) and leaves
// them idle in the client's pool.
func preconnect(client *http.Client, u string, n int) error {
	var wg sync.WaitGroup
	var failed atomic.Int64
	var firstErr atomic.Value
	gate := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-gate
			resp, err := client.Get(u)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			if err != nil {
				failed.Add(1)
				firstErr.CompareAndSwap(nil, err.Error())
			}
		})
	}
	close(gate)
	wg.Wait()
	if f := failed.Load(); f > 0 {
		return fmt.Errorf("preconnect: %d of %d failed: %v", f, n, firstErr.Load())
	}
	return nil
}

func summarize(mode string, c *config, conns int, st *stats, elapsed time.Duration) *result {
	sec := elapsed.Seconds()
	s := st.hist.Summarize()
	res := &result{
		Mode: mode, URL: c.url, Conns: conns, Requests: st.requests, Errors: st.errors,
		FirstErr: st.firstErr, Seconds: hist.Round(sec, 3), Sessions: c.sessions,
		P50: s.P50, P90: s.P90, P99: s.P99, Max: s.Max, Mean: s.Mean,
	}
	if c.session != "" {
		res.Sessions = "fixed:" + c.session
	}
	if sec > 0 {
		res.RPS = hist.Round(float64(st.requests)/sec, 1)
	}
	res.Status = report.Statuses(st.status)
	if len(st.codes) > 0 {
		res.Codes = st.codes
	}
	if len(st.byStatus) > 0 {
		res.ByStatus = map[string]hist.Summary{}
		for k, h := range st.byStatus {
			res.ByStatus[report.StatusName(k)] = h.Summarize()
		}
	}
	return res
}
