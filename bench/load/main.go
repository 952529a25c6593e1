// Command load is a small, bounded HTTP load generator for cozeauth's
// benchmarks (standard library only). It only ever talks to loopback.
//
// Closed-loop mode: -c workers share one keep-alive http.Transport and
// send requests back to back for -d (after an optional -warmup) or until
// -n requests are done:
//
//	load -url http://127.0.0.1:8080/token -c 64 -d 10s -sessions hot
//	load -url http://127.0.0.1:8080/token -c 64 -n 100000 -sessions distinct -prefix run1-
//
// Burst mode: -burst N goroutines, each with its own connection, are
// released together by a barrier and send one request each for -session:
//
//	load -url http://127.0.0.1:8080/token -burst 1000 -session cold-1 \
//	     -preconnect http://127.0.0.1:8080/healthz
//
// It prints one line of JSON: requests, errors (non-200 answers and
// transport errors), rps, p50_ms, p99_ms and a few more fields.
// Latencies go into a log-linear histogram (under 1% error), so memory
// stays constant however many requests are sent.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/bits"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Hard limits: the tool is bounded in count and time whatever the flags.
const (
	maxConns    = 4096
	maxBurst    = 10_000
	maxRequests = 50_000_000
	maxDuration = 15 * time.Minute
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
	if c.url == "" {
		return errors.New("-url is required")
	}
	if err := loopbackURL(c.url); err != nil {
		return fmt.Errorf("-url: %w", err)
	}
	if c.preconnect != "" {
		if err := loopbackURL(c.preconnect); err != nil {
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

// loopbackURL accepts only http(s) URLs whose host is a loopback literal
// or "localhost".
func loopbackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return fmt.Errorf("%q: host %q is not loopback; this tool only targets 127.0.0.0/8, ::1 or localhost", raw, u.Hostname())
	}
	return nil
}

func loopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// newClient returns a keep-alive client holding up to conns connections,
// whose dialer refuses any non-loopback address (a belt to the URL check's
// braces: "localhost" could resolve elsewhere) and which follows no
// redirects.
func newClient(conns int, timeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := d.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			if ta, ok := conn.RemoteAddr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
				conn.Close()
				return nil, fmt.Errorf("refusing non-loopback peer %v", conn.RemoteAddr())
			}
			return conn, nil
		},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// result is the one JSON line printed.
type result struct {
	Mode      string         `json:"mode"`
	URL       string         `json:"url"`
	Conns     int            `json:"c"`
	Requests  int64          `json:"requests"`
	Errors    int64          `json:"errors"`
	Status    map[string]int `json:"status,omitempty"`
	FirstErr  string         `json:"first_error,omitempty"`
	Seconds   float64        `json:"seconds"`
	RPS       float64        `json:"rps"`
	P50       float64        `json:"p50_ms"`
	P90       float64        `json:"p90_ms"`
	P99       float64        `json:"p99_ms"`
	Max       float64        `json:"max_ms"`
	Mean      float64        `json:"mean_ms"`
	Sessions  string         `json:"sessions"`
	FirstSess string         `json:"first_session,omitempty"`
	LastSess  string         `json:"last_session,omitempty"`
}

// stats is one worker's tally; workers keep their own and are merged at
// the end, so recording takes no lock.
type stats struct {
	hist     *histogram // nil: latencies are recorded by the caller
	requests int64
	errors   int64
	status   map[int]int
	firstErr string
}

func newStats() *stats { return &stats{hist: new(histogram), status: map[int]int{}} }

func (s *stats) merge(o *stats) {
	if o.hist != nil {
		s.hist.merge(o.hist)
	}
	s.requests += o.requests
	s.errors += o.errors
	for k, v := range o.status {
		s.status[k] += v
	}
	if s.firstErr == "" {
		s.firstErr = o.firstErr
	}
}

// do sends one request and records it.
func (s *stats) do(ctx context.Context, client *http.Client, c *config, session string) {
	req, err := http.NewRequestWithContext(ctx, c.method, c.url, nil)
	if err != nil {
		s.fail(err.Error())
		return
	}
	if session != "" {
		req.Header["X-User-Id"] = []string{session}
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	lat := time.Since(start)
	s.requests++
	if s.hist != nil {
		s.hist.record(lat)
	}
	switch {
	case err != nil:
		s.errors++
		s.status[0]++
		if s.firstErr == "" {
			s.firstErr = err.Error()
		}
	default:
		s.status[resp.StatusCode]++
		if resp.StatusCode != http.StatusOK {
			s.errors++
			if s.firstErr == "" {
				s.firstErr = "HTTP " + resp.Status
			}
		}
	}
}

func (s *stats) fail(msg string) {
	s.requests++
	s.errors++
	if s.firstErr == "" {
		s.firstErr = msg
	}
}

// runLoop is closed-loop mode: c.conns workers, each sending requests back
// to back until the deadline or until c.n requests have been claimed.
func runLoop(c *config) (*result, error) {
	client := newClient(c.conns, c.timeout)
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
	phase := func(d time.Duration, limit int64) (*stats, time.Duration) {
		deadline := time.Now().Add(d)
		ctx, cancel := context.WithDeadline(context.Background(), deadline.Add(c.timeout))
		defer cancel()
		all := make([]*stats, c.conns)
		var wg sync.WaitGroup
		start := time.Now()
		for w := range all {
			st := newStats()
			all[w] = st
			wg.Go(func() {
				for time.Now().Before(deadline) {
					i := counter.Add(1)
					if limit > 0 && i > limit {
						return
					}
					st.do(ctx, client, c, session(i))
				}
			})
		}
		wg.Wait()
		elapsed := time.Since(start)
		total := newStats()
		for _, st := range all {
			total.merge(st)
		}
		return total, elapsed
	}
	if c.warmup > 0 {
		phase(c.warmup, 0)
	}
	first := counter.Load() + 1
	var limit int64
	if c.n > 0 {
		limit = counter.Load() + c.n
	}
	st, elapsed := phase(c.dur, limit)
	res := summarize("loop", c, c.conns, st, elapsed)
	if c.sessions == "distinct" && c.session == "" && st.requests > 0 {
		res.FirstSess, res.LastSess = session(first), session(first+st.requests-1)
	}
	return res, nil
}

// runBurst is burst mode: c.burst goroutines, one connection each, wait at
// a barrier and then send one request each for c.session.
func runBurst(c *config) (*result, error) {
	client := newClient(c.burst, c.timeout)
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
			st := &stats{status: map[int]int{}}
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
	total := newStats()
	for i, st := range each {
		total.merge(st)
		total.hist.record(lats[i])
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
	res := &result{
		Mode: mode, URL: c.url, Conns: conns, Requests: st.requests, Errors: st.errors,
		FirstErr: st.firstErr, Seconds: round(sec, 3), Sessions: c.sessions,
		P50: ms(st.hist.quantile(0.50)), P90: ms(st.hist.quantile(0.90)), P99: ms(st.hist.quantile(0.99)),
		Max: ms(st.hist.max), Mean: ms(st.hist.mean()),
	}
	if c.session != "" {
		res.Sessions = "fixed:" + c.session
	}
	if sec > 0 {
		res.RPS = round(float64(st.requests)/sec, 1)
	}
	if len(st.status) > 0 {
		res.Status = map[string]int{}
		for k, v := range st.status {
			name := strconv.Itoa(k)
			if k == 0 {
				name = "transport_error"
			}
			res.Status[name] = v
		}
	}
	return res
}

func ms(d time.Duration) float64 { return round(float64(d)/1e6, 3) }

func round(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

// histogram is a log-linear latency histogram in nanoseconds: values below
// 2^subBits are exact, larger ones fall in buckets 1/2^(subBits-1) wide
// relative to their magnitude (under 1% error at subBits = 8). Its size is
// fixed, whatever the number of samples.
const (
	subBits    = 8
	subCount   = 1 << subBits
	halfCount  = subCount / 2
	maxExp     = 40 // 2^40 ns is 18 minutes: longer latencies are clamped
	numBuckets = subCount + (maxExp-subBits+1)*halfCount
)

type histogram struct {
	counts [numBuckets]int64
	n      int64
	sum    float64
	max    time.Duration
}

func bucketOf(v uint64) int {
	if v < subCount {
		return int(v)
	}
	shift := bits.Len64(v) - subBits // >= 1; v>>shift is in [halfCount, subCount)
	if shift > maxExp-subBits+1 {
		return numBuckets - 1
	}
	return subCount + (shift-1)*halfCount + int(v>>shift) - halfCount
}

// bucketMid is the middle of bucket i's value range.
func bucketMid(i int) uint64 {
	if i < subCount {
		return uint64(i)
	}
	j := i - subCount
	shift := j/halfCount + 1
	low := uint64(j%halfCount+halfCount) << shift
	return low + (uint64(1)<<shift)/2
}

func (h *histogram) record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	h.n++
	h.sum += float64(d)
	h.max = max(h.max, d)
}

func (h *histogram) merge(o *histogram) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

func (h *histogram) mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// quantile returns the q-quantile (0 < q <= 1), never more than the max.
func (h *histogram) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketMid(i)), h.max)
		}
	}
	return h.max
}
