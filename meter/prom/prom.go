package prom

import (
	"context"
	"maps"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/cozeauth/cozeauth/meter"
)

const ns = "cozeauth"

// Latency buckets, in seconds: a mint is a network round trip to Coze; a
// gateway call may stream for minutes.
var (
	mintBuckets    = []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30}
	gatewayBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	redisBuckets   = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1}
)

// Meter is a meter.Meter recording into its own Prometheus registry. It is
// safe for concurrent use.
type Meter struct {
	reg *prometheus.Registry

	tokens       *prometheus.CounterVec
	tokenMu      sync.Mutex                                         // adding to tokenSeen
	tokenSeen    atomic.Pointer[map[tokenLabels]prometheus.Counter] // tokens' children; copied on write, read without a lock
	denied       *prometheus.CounterVec
	mints        *prometheus.CounterVec
	mintSeconds  *prometheus.HistogramVec
	upstreamErrs *prometheus.CounterVec
	gateway      *prometheus.CounterVec
	gatewaySecs  *prometheus.HistogramVec
	streams      prometheus.Gauge
	rateLimited  *prometheus.CounterVec
	reloads      *prometheus.CounterVec
	auditDropped prometheus.Counter
	redisOps     *prometheus.CounterVec
	redisSeconds *prometheus.HistogramVec
}

var _ meter.Meter = (*Meter)(nil)

// New returns a Meter whose registry holds its metrics and Go's runtime
// (runtime/metrics included) and process collectors.
func New() *Meter {
	m := &Meter{reg: prometheus.NewRegistry()}
	m.tokenSeen.Store(&map[tokenLabels]prometheus.Counter{})
	f := func(c prometheus.Collector) { m.reg.MustRegister(c) }
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "token_requests_total",
		Help: "Token requests answered, by app, policy, outcome (hit, mint, denied, error) and code (the denial or error code)."},
		[]string{"app", "policy", "outcome", "code"})
	m.denied = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "denied_total",
		Help: "Requests refused by a rule on any route, by policy and code."}, []string{"policy", "code"})
	m.mints = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_mints_total",
		Help: "Upstream mints (token requests to Coze), by app, reason (request, refresh) and result (ok, error)."},
		[]string{"app", "reason", "result"})
	m.mintSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "upstream_mint_seconds",
		Help: "Latency of upstream mints, retries included, by app and reason.", Buckets: mintBuckets}, []string{"app", "reason"})
	m.upstreamErrs = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_errors_total",
		Help: `Failed upstream mints by app and Coze error_code (known codes as they are, "other", "none" for an answer without one, "no_answer" when Coze was not reached or the mint was throttled).`},
		[]string{"app", "error_code"})
	m.gateway = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "gateway_requests_total",
		Help: "Gateway calls answered, by app and status class."}, []string{"app", "class"})
	m.gatewaySecs = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "gateway_request_seconds",
		Help: "Duration of gateway calls, streaming included, by app and status class.", Buckets: gatewayBuckets}, []string{"app", "class"})
	m.streams = prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "gateway_open_streams",
		Help: "Gateway answers streaming now (server-sent events, WebSocket)."})
	m.rateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "rate_limited_total",
		Help: "Requests refused by a rate or concurrency limit, by policy and limit (rate_per_ip, rate_per_key, inflight, mint_rate)."},
		[]string{"policy", "limit"})
	m.reloads = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "reloads_total",
		Help: "Configuration reloads, by result (applied, refused)."}, []string{"result"})
	m.auditDropped = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "audit_dropped_lines_total",
		Help: "Audit and access log lines dropped because the writer could not keep up."})
	m.redisOps = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "redis_operations_total",
		Help: "Redis operations, by operation and result (ok, error)."}, []string{"op", "result"})
	m.redisSeconds = prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "redis_operation_seconds",
		Help: "Latency of Redis operations, by operation.", Buckets: redisBuckets}, []string{"op"})
	for _, c := range []prometheus.Collector{m.tokens, m.denied, m.mints, m.mintSeconds, m.upstreamErrs, m.gateway,
		m.gatewaySecs, m.streams, m.rateLimited, m.reloads, m.auditDropped, m.redisOps, m.redisSeconds} {
		f(c)
	}
	f(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.MetricsGC, collectors.MetricsMemory, collectors.MetricsScheduler)))
	f(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the registry the Meter records into, for more collectors.
func (m *Meter) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in Prometheus' exposition formats.
func (m *Meter) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// CacheFunc reads the token cache's entries and charged bytes.
type CacheFunc func() (entries int, bytes int64)

// WatchCache exports cozeauth_cache_entries and cozeauth_cache_bytes, read
// from f at every scrape.
func (m *Meter) WatchCache(f CacheFunc) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "cache_entries",
		Help: "Tokens (and remembered failures) in the cache."}, func() float64 { n, _ := f(); return float64(n) }))
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Name: "cache_bytes",
		Help: "Bytes charged for the cache's entries (bounded by the cache's max bytes)."}, func() float64 { _, b := f(); return float64(b) }))
}

// GrantsFunc counts stored grants by state (active, needs_login).
type GrantsFunc func(ctx context.Context) (map[string]int, error)

// WatchGrants exports cozeauth_grants{state}, read from f at every scrape
// (bounded by a 5 s timeout; nothing is exported when it fails).
func (m *Meter) WatchGrants(f GrantsFunc) {
	m.reg.MustRegister(&grantsCollector{f: f, desc: prometheus.NewDesc(ns+"_grants", "Stored user grants, by state (active, needs_login).", []string{"state"}, nil)})
}

type grantsCollector struct {
	f    GrantsFunc
	desc *prometheus.Desc
}

func (g *grantsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

func (g *grantsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	n, err := g.f(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(g.desc, err)
		return
	}
	for state, v := range n {
		ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(v), state)
	}
}

// tokenLabels are the labels of one token_requests_total series.
type tokenLabels struct{ app, policy, outcome, code string }

// Token counts one token request. It runs on every token handed out, so
// it finds the series in a map of its own, read with one atomic load (no
// lock whose cache line every core would write): the labels are bounded
// (see meter.Meter), and so is the map, copied when a series is added.
func (m *Meter) Token(app, policy, outcome, code string) {
	k := tokenLabels{app, policy, outcome, code}
	c := (*m.tokenSeen.Load())[k]
	if c == nil {
		c = m.tokens.WithLabelValues(app, policy, outcome, code)
		m.tokenMu.Lock()
		seen := maps.Clone(*m.tokenSeen.Load())
		seen[k] = c
		m.tokenSeen.Store(&seen)
		m.tokenMu.Unlock()
	}
	c.Inc()
}

func (m *Meter) Denied(policy, code string) { m.denied.WithLabelValues(policy, code).Inc() }

func (m *Meter) Mint(app, reason string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
		code := meter.CozeCode(err)
		if code == "" {
			code = "no_answer"
		}
		m.upstreamErrs.WithLabelValues(app, code).Inc()
	}
	m.mints.WithLabelValues(app, reason, result).Inc()
	m.mintSeconds.WithLabelValues(app, reason).Observe(d.Seconds())
}

func (m *Meter) Gateway(app string, status int, d time.Duration) {
	class := meter.StatusClass(status)
	m.gateway.WithLabelValues(app, class).Inc()
	m.gatewaySecs.WithLabelValues(app, class).Observe(d.Seconds())
}

func (m *Meter) Streams(delta int) { m.streams.Add(float64(delta)) }

func (m *Meter) RateLimited(policy, what string) { m.rateLimited.WithLabelValues(policy, what).Inc() }

func (m *Meter) Reload(result string) { m.reloads.WithLabelValues(result).Inc() }

func (m *Meter) AuditDropped(n int) { m.auditDropped.Add(float64(n)) }

func (m *Meter) Redis(op string, d time.Duration, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.redisOps.WithLabelValues(op, result).Inc()
	m.redisSeconds.WithLabelValues(op).Observe(d.Seconds())
}
