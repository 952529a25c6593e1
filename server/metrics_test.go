package server

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/meter/prom"
	"github.com/cozeauth/cozeauth/policy"
)

// meteredFixture is f (testAccess's rules, alpha an admin client, plus
// an "ops" policy whose client may use the "bad" app) with a Prometheus
// meter on the broker and the server, /metrics on the main listener.
type meteredFixture struct {
	*fixture
	keys testKeys
	ops  string // the ops client's key
	m    *prom.Meter
}

func newMeteredFixture(t *testing.T) *meteredFixture {
	t.Helper()
	f := newFixture(t)
	acc, keys := testAccess(t)
	opsKey, opsHash, err := policy.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	acc.Policies = append(acc.Policies, policy.Policy{Name: "ops", Apps: []string{"good", "bad"}, Session: policy.SessionTrust})
	acc.Clients = append(acc.Clients, policy.Client{Name: "opsclient", Policy: "ops", Hash: opsHash})
	acc.AdminClients = []string{"alpha"}
	f.cfg.Access = acc
	m := prom.New()
	sources := map[string]broker.Source{}
	for i := range f.cfg.Apps {
		a := &f.cfg.Apps[i]
		sources[a.Name] = &credential.JWT{Client: f.client, Signer: a.Signer(), TokenURL: a.TokenURL()}
	}
	b := broker.New(sources, broker.Options{MaxEntries: 1000, Meter: m})
	t.Cleanup(b.Close)
	s := mustNew(t, f.cfg, b, Options{Log: f.logger, Audit: f.logger, Meter: m, Metrics: m.Handler()})
	m.WatchCache(func() (int, int64) { st := b.Stats(); return st.Entries, st.Bytes })
	m.WatchGrants(s.GrantCounts)
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	f.b, f.server = b, s
	return &meteredFixture{fixture: f, keys: keys, ops: opsKey, m: m}
}

// scrape reads /metrics as a local caller.
func (f *meteredFixture) scrape(t *testing.T) string {
	t.Helper()
	status, h, body := f.do(t, "GET", MetricsPath, "", nil)
	if status != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics from loopback: %d %s %.300s", status, h.Get("Content-Type"), body)
	}
	return string(body)
}

var sampleRE = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// value is the sample of name whose labels include want (0 if none);
// several matching samples are summed.
func value(t *testing.T, text, name string, want map[string]string) float64 {
	t.Helper()
	var sum float64
	for _, line := range strings.Split(text, "\n") {
		m := sampleRE.FindStringSubmatch(line)
		if m == nil || m[1] != name {
			continue
		}
		labels := map[string]string{}
		for _, l := range labelRE.FindAllStringSubmatch(m[3], -1) {
			labels[l[1]] = l[2]
		}
		match := true
		for k, v := range want {
			if labels[k] != v {
				match = false
			}
		}
		if match {
			v, err := strconv.ParseFloat(m[4], 64)
			if err != nil {
				t.Fatalf("sample %q: %v", line, err)
			}
			sum += v
		}
	}
	return sum
}

// L builds a label set from name, value pairs.
func L(kv ...string) map[string]string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// TestMetricsMoveWithRequests: real requests against the emulator move the
// counters they should — mints and hits, denials by rule, upstream errors
// by Coze error_code, rate limits, gateway calls by status class,
// reloads, cache gauges — and Go's runtime metrics are there.
func TestMetricsMoveWithRequests(t *testing.T) {
	f := newMeteredFixture(t)
	before := f.scrape(t)
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "go_gc_duration_seconds_count", "process_resident_memory_bytes"} {
		if !strings.Contains(before, "\n"+name) {
			t.Errorf("runtime metric %s missing", name)
		}
	}
	alpha := bearer(f.keys.alpha)
	alpha["X-User-ID"] = "s1"
	for i := range 3 {
		if status, _, body := f.do(t, "POST", "/token", "", alpha); status != 200 {
			t.Fatalf("token %d: %d %s", i, status, body)
		}
	}
	if status, _, _ := f.do(t, "POST", "/token", "", nil); status != 401 {
		t.Fatalf("no key: %d", status)
	}
	ops := bearer(f.ops)
	ops["X-Cozeauth-App"] = "bad"
	if status, _, body := f.do(t, "POST", "/token", `{"app":"bad"}`, ops); status != 502 {
		t.Fatalf("bad app: %d %s", status, body)
	}
	slow := bearer(f.keys.slow)
	limited := 0
	for range 4 {
		if status, _, _ := f.do(t, "POST", "/token", "", slow); status == 429 {
			limited++
		}
	}
	if limited == 0 {
		t.Fatal("the strict policy's per-key limit never refused")
	}
	if status, _, body := f.do(t, "GET", "/v1/users/me", "", bearer(f.keys.alpha)); status != 200 {
		t.Fatalf("gateway: %d %s", status, body)
	}
	if status, _, _ := f.do(t, "GET", "/v1/users/me", "", nil); status != 401 {
		t.Fatalf("gateway without key: %d", status)
	}
	if err := f.server.Reload(f.cfg); err != nil {
		t.Fatal(err)
	}
	after := f.scrape(t)

	checks := []struct {
		name   string
		labels map[string]string
		moved  float64
	}{
		{"cozeauth_token_requests_total", L("app", "good", "policy", "backend", "outcome", "mint", "code", ""), 1},
		{"cozeauth_token_requests_total", L("app", "good", "policy", "backend", "outcome", "hit", "code", ""), 2},
		{"cozeauth_token_requests_total", L("outcome", "denied", "code", "missing_client_key"), 1},
		{"cozeauth_token_requests_total", L("app", "bad", "policy", "ops", "outcome", "error", "code", "coze_refused"), 1},
		{"cozeauth_token_requests_total", L("policy", "strict", "outcome", "denied", "code", "rate_limited"), float64(limited)},
		{"cozeauth_denied_total", L("code", "missing_client_key"), 2},
		{"cozeauth_rate_limited_total", L("policy", "strict", "limit", "rate_per_key"), float64(limited)},
		{"cozeauth_upstream_mints_total", L("app", "good", "reason", "request", "result", "ok"), 3}, // s1, the slow client's session, the gateway call's
		{"cozeauth_upstream_mints_total", L("app", "bad", "result", "error"), 1},
		{"cozeauth_upstream_mint_seconds_count", L("app", "good", "reason", "request"), 3},
		{"cozeauth_upstream_errors_total", L("app", "bad", "error_code", "invalid_client"), 1},
		{"cozeauth_gateway_requests_total", L("app", "good", "class", "2xx"), 1},
		{"cozeauth_gateway_requests_total", L("app", "", "class", "4xx"), 1},
		{"cozeauth_gateway_request_seconds_count", L("app", "good", "class", "2xx"), 1},
		{"cozeauth_reloads_total", L("result", "applied"), 1},
	}
	for _, c := range checks {
		if d := value(t, after, c.name, c.labels) - value(t, before, c.name, c.labels); d != c.moved {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, d, c.moved)
		}
	}
	// The gateway call's session and the two token sessions (s1, the slow
	// client's default) are cached, plus the bad app's remembered failure.
	if n := value(t, after, "cozeauth_cache_entries", nil); n < 3 {
		t.Errorf("cozeauth_cache_entries %v, want >= 3", n)
	}
	if n := value(t, after, "cozeauth_cache_bytes", nil); n <= 0 {
		t.Errorf("cozeauth_cache_bytes %v", n)
	}
}

// TestMetricsHoldNoSecrets: a session that looks like a secret, a client
// key and the tokens handed out never appear in /metrics.
func TestMetricsHoldNoSecrets(t *testing.T) {
	f := newMeteredFixture(t)
	const session = "sk-live-Zq8vS3cr3tS3ssionName-4242"
	ops := bearer(f.ops)
	ops["X-User-ID"] = session
	status, _, body := f.do(t, "POST", "/token", "", ops)
	if status != 200 {
		t.Fatalf("token: %d %s", status, body)
	}
	tok := decode[tokenAnswer](t, body).AccessToken
	ops["X-Cozeauth-App"] = "bad"
	f.do(t, "POST", "/token", `{"app":"bad"}`, ops)
	f.do(t, "GET", "/v1/users/me", "", ops)
	f.do(t, "POST", "/token", "", map[string]string{"Authorization": "Bearer cza_" + strings.Repeat("Q", 43), "X-User-ID": session})
	text := f.scrape(t)
	for what, secret := range map[string]string{"session": session, "client key": f.ops, "token": tok, "wrong key": strings.Repeat("Q", 43)} {
		if secret != "" && strings.Contains(text, secret) {
			t.Errorf("/metrics holds the %s", what)
		}
	}
	if !strings.Contains(text, `cozeauth_token_requests_total{app="good",code="",outcome="mint",policy="ops"} 1`) {
		t.Errorf("the request was not counted:\n%s", grep(text, "cozeauth_token_requests_total"))
	}
}

func grep(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestMetricsAdminOnly: /metrics answers a caller from another machine
// only with an admin client's key.
func TestMetricsAdminOnly(t *testing.T) {
	f := newMeteredFixture(t)
	for _, c := range []struct {
		name, key string
		status    int
		code      string
	}{
		{"no key", "", 403, "not_admin"},
		{"not an admin", f.keys.beta, 403, "not_admin"},
		{"wrong key", "cza_" + strings.Repeat("Q", 43), 401, "invalid_client_key"},
		{"admin", f.keys.alpha, 200, ""},
	} {
		for _, path := range []string{MetricsPath, StatusPath, StatusJSONPath} {
			req := httptest.NewRequest("GET", path, nil)
			req.RemoteAddr = "203.0.113.7:40000"
			if c.key != "" {
				req.Header.Set("Authorization", "Bearer "+c.key)
			}
			w := httptest.NewRecorder()
			f.server.ServeHTTP(w, req)
			if w.Code != c.status || w.Header().Get(ErrorHeader) != c.code {
				t.Errorf("%s, %s from another machine: %d %q, want %d %q", c.name, path, w.Code, w.Header().Get(ErrorHeader), c.status, c.code)
			}
		}
	}
	// A local caller behind a proxy on this machine is not local.
	req := httptest.NewRequest("GET", MetricsPath, nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Host = "127.0.0.1:8080"
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	w := httptest.NewRecorder()
	f.server.ServeHTTP(w, req)
	if w.Code != 403 {
		t.Errorf("relayed loopback caller: %d", w.Code)
	}
}

// TestOpenStreamsGauge: a streamed gateway answer counts as an open stream
// while it streams, and no longer once it ended.
func TestOpenStreamsGauge(t *testing.T) {
	release := make(chan struct{})
	m := prom.New()
	f, _ := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "event:conversation.chat.created\ndata:{}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}, Options{Meter: m, Metrics: m.Handler()})
	mf := &meteredFixture{fixture: f, m: m}
	resp, err := http.Post(f.srv.URL+"/v3/chat", "application/json", strings.NewReader(`{"stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil {
		t.Fatal(err)
	}
	if v := value(t, mf.scrape(t), "cozeauth_gateway_open_streams", nil); v != 1 {
		t.Fatalf("open streams while streaming: %v", v)
	}
	close(release)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	// The handler's deferred bookkeeping runs after the body's end reached
	// the client: wait for the gateway call to be counted.
	eventually(t, "the gateway call counted", func() bool {
		return value(t, mf.scrape(t), "cozeauth_gateway_requests_total", L("class", "2xx")) >= 1
	})
	if v := value(t, mf.scrape(t), "cozeauth_gateway_open_streams", nil); v != 0 {
		t.Fatalf("open streams after the stream ended: %v", v)
	}
}
