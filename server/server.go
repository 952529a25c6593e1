package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/deadline"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// Limits on what a caller may send.
const (
	MaxBodyBytes   = 64 << 10
	MaxHeaderBytes = 16 << 10
)

// Time limits on a connection. The request head must arrive within
// headerTimeout, and a request body within bodyTimeout of its head (the
// gateway's uploads follow its idle timeout instead); an answer must be
// written within writeTimeout (the gateway's streams extend theirs while
// they flow); an idle keep-alive connection is closed after idleTimeout.
// bodyTimeout is set per request, only when a body comes. Serve's
// deadline.Listener enforces them all, at most deadline.Tick late.
var (
	headerTimeout = 5 * time.Second
	bodyTimeout   = 15 * time.Second
	writeTimeout  = 30 * time.Second
	idleTimeout   = 120 * time.Second
)

// Server serves the token API over a Broker. It is safe for concurrent
// use.
type Server struct {
	broker    *broker.Broker
	log       *slog.Logger
	auditLog  *slog.Logger
	mux       *http.ServeMux
	access    atomic.Pointer[access] // the current generation: config, rules, gateway targets
	reloadMu  sync.Mutex             // one reload at a time
	newSource func(*config.App) broker.Source

	gateway  *httputil.ReverseProxy
	gwLimits config.Gateway // resolved gateway limits
	inflight *inflight      // gateway requests in progress

	grants       grant.Store  // users' grants (web, PKCE, device apps); nil when none
	cozeClient   *coze.Client // for code exchanges
	returnTo     []string     // Options.LoginReturnTo
	logins       loginStore   // connect links and logins under way
	sharedLogins SharedLogins // Options.Logins: device logins' status for the other replicas; nil when alone
	devices      deviceTable  // device logins under way (POST /connect for device apps)

	answers   *answers     // rendered answers of the tokens handed out last
	dates     dateHeader   // the Date header of token answers
	met       meter.Meter  // metrics; meter.Nop when none
	accessLog *slog.Logger // one line per request; nil for none
	recent    *recentRing  // recent denials and errors, for /status
	start     time.Time    // when New ran, for /status

	replicas     Replicas          // Options.Replicas
	sharedLimits ratelimit.Backend // Options.SharedLimits
	tls          *tls.Config       // Options.TLS
}

// Options are a Server's optional parts.
type Options struct {
	Log   *slog.Logger // operational log; discarded when nil
	Audit *slog.Logger // one line per token handed out and per reload; none when nil
	// GatewayTimeout bounds the wait for the Coze API's response headers
	// (not the streaming of a body); 5 minutes when zero.
	GatewayTimeout time.Duration
	// NewSource builds the broker Source that mints for an app. With it,
	// New hands the broker one Source per app and Reload gives the broker
	// a new Source for each app whose credentials or endpoints changed
	// (keeping the same value, and so the cached tokens, for the others).
	// Without it the broker's apps are left as they are, and a reload
	// that adds, removes or re-keys an app is refused (restart instead).
	NewSource func(*config.App) broker.Source
	// Gateway bounds the gateway (idle timeout, requests in flight overall,
	// per client and per address, connections to Coze); zero fields take
	// the config's gateway section, then the defaults (60 s idle;
	// min(1024, RLIMIT_NOFILE/4) in flight; 64 per client key or widget
	// visitor; 32 per address for a policy's callers without a key; as
	// many connections per Coze host as requests in flight).
	Gateway config.Gateway
	// Grants is where a browser login (POST /connect, GET /login/start,
	// GET /oauth/callback) stores the user's grant; without it /connect
	// answers 503.
	Grants grant.Store
	// Client exchanges login codes with Coze; a default Client when nil.
	Client *coze.Client
	// LoginReturnTo lists URL prefixes a connect link may send the browser
	// back to (same scheme and host; the path a whole-segment prefix),
	// besides the caller policy's origins and, in open mode, this machine.
	LoginReturnTo []string
	// DemoChat serves the demo chat page at DemoChatPath (serve --demo).
	DemoChat bool
	// Meter receives metrics events (token outcomes, denials, gateway
	// calls, streams, rate limits, reloads); none when nil.
	Meter meter.Meter
	// AccessLog, when set, gets one line per request (method, path
	// without query, status, bytes, duration, peer address).
	AccessLog *slog.Logger
	// Metrics, when set, is served at GET /metrics to local callers and
	// admin clients (see MetricsPath).
	Metrics http.Handler
	// Replicas shares revocations with other replicas and reports the
	// shared store's health (see Replicas); nil: this process alone.
	Replicas Replicas
	// SharedLimits holds the per-key and per-IP rate limit buckets of
	// every policy for all replicas, so their sum obeys the policy's
	// rate; nil: each process counts alone.
	SharedLimits ratelimit.Backend
	// TLS, when set, makes Serve answer HTTPS with it.
	TLS *tls.Config
	// Logins keeps the connect links and login states of web and PKCE
	// logins, and the status of device logins, where every replica sees
	// them; nil: in this process.
	Logins SharedLogins
}

// New returns a Server for cfg's apps and access rules, handing out
// tokens from b.
func New(cfg *config.Config, b *broker.Broker, o Options) (*Server, error) {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{broker: b, log: log, auditLog: o.Audit, mux: http.NewServeMux(), newSource: o.NewSource,
		grants: o.Grants, cozeClient: o.Client, returnTo: o.LoginReturnTo, answers: newAnswers(),
		met: meter.Or(o.Meter), accessLog: o.AccessLog, recent: newRecentRing(recentSize), start: time.Now(),
		replicas: o.Replicas, sharedLimits: o.SharedLimits, tls: o.TLS}
	if s.cozeClient == nil {
		s.cozeClient = &coze.Client{}
	}
	if o.Logins != nil {
		s.logins, s.sharedLogins = &sharedLogins{s: o.Logins, now: time.Now}, o.Logins
	} else {
		s.logins = newLoginTable()
	}
	gen, err := newAccess(cfg, nil, o.SharedLimits)
	if err != nil {
		return nil, err
	}
	if s.newSource != nil {
		gen.sources = s.sourcesFor(cfg, nil)
		b.Replace(gen.sources, mintRates(cfg))
	}
	s.access.Store(gen)
	s.gwLimits = gatewayLimits(o.Gateway, cfg.Gateway)
	s.inflight = newInflight(s.gwLimits)
	s.gateway = s.newGateway(o.GatewayTimeout, s.gwLimits)
	for _, root := range config.GatewayRoots {
		s.mux.HandleFunc(cfg.GatewayPrefix+root, s.handleGateway)
		s.mux.HandleFunc("OPTIONS "+cfg.GatewayPrefix+root, s.preflight)
	}
	s.mux.HandleFunc("OPTIONS /{$}", s.preflight)
	s.mux.HandleFunc("OPTIONS /token", s.preflight)
	s.mux.HandleFunc("OPTIONS /callback", s.preflight)
	s.mux.HandleFunc("POST /{$}", s.handleToken)
	s.mux.HandleFunc("POST /token", s.handleToken)
	s.mux.HandleFunc("GET /callback", s.handleToken)
	s.mux.HandleFunc("POST /connect", s.handleConnect)
	s.mux.HandleFunc("GET "+ConnectStatusPath, s.handleConnectStatus)
	s.mux.HandleFunc("GET "+LoginStartPath, s.handleLoginStart)
	s.mux.HandleFunc("GET "+LoginCallbackPath, s.handleLoginCallback)
	s.mux.HandleFunc("GET "+AdminGrantsPath, s.handleGrantsList)
	s.mux.HandleFunc("DELETE "+AdminGrantsPath, s.handleGrantsRevoke)
	s.routeOps(o.Metrics)
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /readyz", s.handleReady)
	s.routeBrowser(o)
	s.mux.HandleFunc("/", s.handleNotFound)
	return s, nil
}

// conf is the configuration now in force.
func (s *Server) conf() *config.Config { return s.access.Load().cfg }

// ServeHTTP routes a request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.accessLog != nil {
		aw := &accessWriter{ResponseWriter: w}
		w = aw
		defer s.logAccess(aw, r, time.Now())
	}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// Never echo the panic value: it may hold a secret.
			s.log.Error("handler panic", "path", r.URL.Path)
			writeError(w, http.StatusInternalServerError, "internal", "internal error", nil)
		}
	}()
	if headerTooLarge(w, r) {
		return
	}
	if r.ContentLength != 0 && r.Body != http.NoBody {
		// Whether or not the handler reads it, the body (which net/http
		// drains after the handler) must come in time.
		_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyTimeout))
	}
	if badPath(r) {
		writeError(w, http.StatusBadRequest, "bad_path", "the path has '..', '//', '.' segments or encoded separators; send a clean path", nil)
		return
	}
	if r.Method == http.MethodPost && (r.URL.Path == "/token" || r.URL.Path == "/") {
		// The hot path, as the router would route it ("POST /token",
		// "POST /{$}"), without its pattern matching.
		s.handleToken(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// badPath spots path tricks before the router cleans (and redirects) them.
func badPath(r *http.Request) bool {
	p := r.URL.EscapedPath()
	return !plainPath(p) && trickyPath(p)
}

// plainPath reports whether p has none of what a trick needs — a '.', a
// '%', a '\\' or "//" — in one pass: the common case, decided without
// trickyPath's searches.
func plainPath(p string) bool {
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '.' || c == '%' || c == '\\':
			return false
		case c == '/' && i > 0 && p[i-1] == '/':
			return false
		}
	}
	return true
}

// trickyPath reports whether the escaped path p has "//", "." or ".."
// segments, or an encoded dot, slash or backslash, or a backslash.
func trickyPath(p string) bool {
	if strings.Contains(p, "//") || strings.Contains(p, "/./") || strings.Contains(p, "/../") ||
		strings.HasSuffix(p, "/..") || strings.HasSuffix(p, "/.") {
		return true
	}
	lp := strings.ToLower(p)
	return strings.Contains(lp, "%2e") || strings.Contains(lp, "%2f") || strings.Contains(lp, "%5c") || strings.Contains(p, "\\")
}

// Serve answers on ln (over TLS with Options.TLS) until ctx is done, then
// shuts down gracefully, letting requests in progress finish for up to
// grace. The connections' timeouts are enforced by a deadline.Listener
// beneath TLS: the same limits, without a timer operation per request.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	ln = deadline.NewListener(ln)
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	hs := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: headerTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	err := hs.Shutdown(sctx)
	if e := <-errc; !errors.Is(e, http.ErrServerClosed) && err == nil {
		err = e
	}
	return err
}
