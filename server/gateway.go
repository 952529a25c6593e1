package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/policy"
)

// AppHeader picks the app a gateway request is for (default: the default
// app). It is never forwarded.
const AppHeader = "X-Cozeauth-App"

// maxReplayBody is the largest request body kept so that a request Coze
// refused with 401 can be sent again with a fresh token.
const maxReplayBody = 64 << 10

// callKey carries a gateway call's state from the handler to the proxy.
type callKey struct{}

// gatewayCall is one forwarded request.
type gatewayCall struct {
	req     broker.Request
	token   string
	path    string   // Coze API path, prefix removed
	target  *url.URL // API or WebSocket base
	body    []byte   // kept for a replay; nil when streamed
	replay  bool
	retried bool
	idle    time.Duration           // upstream answer idle timeout
	cancel  context.CancelCauseFunc // cuts the upstream request
	upload  *idleBody               // the caller's body, when it streams
	met     meter.Meter             // told when the answer streams
	stream  bool                    // the answer is a stream (SSE, WebSocket)
}

// callerHeaders are never sent to Coze: cozeauth's own request headers,
// and headers by which a caller could speak for cozeauth or its network
// (client addresses, forwarded host and scheme, path and method
// overrides). cozeauth is Coze's client: Coze sees cozeauth's address, and
// the end user's address is not passed on (Coze needs it for nothing, and
// a caller could forge it).
var callerHeaders = []string{"Authorization", "X-API-Key", "X-User-ID", "Cookie", AppHeader,
	"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Port",
	"X-Forwarded-Prefix", "X-Forwarded-Server", "X-Real-IP", "X-Client-IP", "True-Client-IP",
	"CF-Connecting-IP", "X-Original-URL", "X-Rewrite-URL", "X-HTTP-Method-Override",
	"X-HTTP-Method", "X-Method-Override", "HTTP2-Settings"}

// gatewayMethods are the methods the gateway forwards; any other (TRACE,
// CONNECT, made-up ones) is refused with 405.
var gatewayMethods = map[string]bool{"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true}

const allowedMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// newGateway builds the reverse proxy that forwards Coze API calls with
// the broker's token injected. Answers stream through as they arrive
// (FlushInterval -1), WebSocket upgrades pass through. At most
// g.MaxUpstreamConns connections go to each Coze host.
func (s *Server) newGateway(timeout time.Duration, g config.Gateway) *httputil.ReverseProxy {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   min(256, g.MaxUpstreamConns),
		MaxConnsPerHost:       g.MaxUpstreamConns,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
	}
	return &httputil.ReverseProxy{
		Rewrite:        rewrite,
		Transport:      &retryTransport{base: base, broker: s.broker},
		FlushInterval:  -1,
		ModifyResponse: modifyResponse,
		BufferPool:     copyBuffers,
		ErrorHandler:   s.gatewayError,
		// Cut streams (a caller or Coze gone, an idle timeout) are routine:
		// the proxy's own notes go to the operational log at debug level.
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
}

// copyBuffers reuses the proxy's 32 KiB copy buffers across requests.
var copyBuffers = &bufferPool{}

type bufferPool struct{ p sync.Pool }

func (b *bufferPool) Get() []byte {
	if v, ok := b.p.Get().(*[]byte); ok {
		return *v
	}
	return make([]byte, 32<<10)
}

func (b *bufferPool) Put(buf []byte) { b.p.Put(&buf) }

func rewrite(pr *httputil.ProxyRequest) {
	call := pr.In.Context().Value(callKey{}).(*gatewayCall)
	out := pr.Out
	out.URL.Scheme, out.URL.Host = call.target.Scheme, call.target.Host
	out.URL.Path = strings.TrimRight(call.target.Path, "/") + call.path
	out.URL.RawPath = ""
	out.URL.RawQuery = withoutQueryCredential(out.URL.RawQuery)
	out.Host = ""
	for _, h := range callerHeaders {
		out.Header.Del(h)
	}
	coze.SetBearer(out.Header, call.token)
	if call.body != nil {
		body := call.body
		out.Body = io.NopCloser(bytes.NewReader(body))
		out.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		out.ContentLength = int64(len(body))
	}
}

// modifyResponse keeps Coze's own CORS headers and cookies from reaching
// the caller: cozeauth answers CORS itself, per policy.
func modifyResponse(resp *http.Response) error {
	for k := range resp.Header {
		if strings.HasPrefix(k, "Access-Control-") {
			resp.Header.Del(k)
		}
	}
	resp.Header.Del("Set-Cookie")
	resp.Header.Del(ErrorHeader)
	call, ok := resp.Request.Context().Value(callKey{}).(*gatewayCall)
	if ok && resp.StatusCode != http.StatusSwitchingProtocols && resp.Body != nil {
		resp.Body = newIdleUpstream(resp.Body, call.idle, call.cancel)
	}
	if ok {
		call.streamStart(resp)
	}
	return nil
}

// handleGateway forwards a Coze API call: refuse unclean paths and
// methods, authenticate, apply the policy (path allowlist, bot and
// workflow ids), take a concurrency slot, get the session's token,
// forward. Every call leaves one audit line.
func (s *Server) handleGateway(rw http.ResponseWriter, r *http.Request) {
	w := newGatewayWriter(rw, s.gwLimits.IdleTimeout)
	rec := &gatewayRecord{start: time.Now(), w: w}
	defer s.auditGateway(r, rec)
	path := r.URL.EscapedPath()
	if prefix := s.conf().GatewayPrefix; prefix != "" {
		path = strings.TrimPrefix(path, prefix)
	}
	rec.path = path
	if why := policy.PathProblem(path); why != "" {
		writeError(w, http.StatusBadRequest, "bad_path", why+"; send the plain Coze API path", nil)
		return
	}
	if !gatewayMethods[r.Method] {
		w.Header().Set("Allow", allowedMethods)
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "the gateway does not forward "+r.Method+"; use one of "+allowedMethods, nil)
		return
	}
	if up := r.Header.Values("Upgrade"); len(up) > 0 && (len(up) > 1 || !strings.EqualFold(up[0], "websocket")) {
		writeError(w, http.StatusBadRequest, "upgrade_not_allowed", "the Upgrade header may only be websocket (once); h2c and other protocols are not forwarded", nil)
		return
	}
	c := new(caller)
	if !s.admit(w, r, c) {
		return
	}
	rec.caller = c
	if c.policy != nil && !c.policy.AllowsPath(path) {
		s.deny(w, r, c, &policy.Denied{Status: http.StatusForbidden, Code: "path_not_allowed", Msg: "policy " + c.policy.Name + " may not call " + path})
		return
	}
	in := policy.Input{App: r.Header.Get(AppHeader)}
	if perr := sessionHeader(r, &in); perr != nil {
		writeError(w, perr.status, perr.code, perr.msg, nil)
		return
	}
	req, denied := s.decide(c, in, nil)
	if denied != nil {
		s.deny(w, r, c, denied)
		return
	}
	rec.req = req
	release, denied := s.inflight.acquire(c)
	if denied != nil {
		s.met.RateLimited(c.policyName(), "inflight")
		writeDenied(w, denied)
		return
	}
	defer release()
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	gen := c.gen
	call := &gatewayCall{req: req, path: path, target: gen.targets[req.App], idle: s.gwLimits.IdleTimeout, cancel: cancel, met: s.met}
	if isWebSocket(r) {
		call.target = gen.wsTargets[req.App]
	}
	if call.target == nil { // defensive: decide found the app in this generation
		writeError(w, http.StatusNotFound, "unknown_app", "no app named "+req.App+" is configured", nil)
		return
	}
	if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
		call.upload = newIdleBody(r, w.rc, s.gwLimits.IdleTimeout)
		r.Body = call.upload
	} else {
		// Nothing to read: the caller now waits for the answer, which the
		// write side and the upstream idle timeout bound.
		_ = w.rc.SetReadDeadline(time.Time{})
	}
	var scopes []*coze.Scope
	if c.policy != nil {
		scopes = append(scopes, c.policy.MaxScope)
	}
	scopes = append(scopes, req.Scope)
	if policy.ChecksCall(path, scopes...) {
		if !s.checkCall(w, r, call, scopes) {
			return
		}
	} else if perr := keepSmallBody(w, r, call); perr != nil {
		writeError(w, perr.status, perr.code, perr.msg, nil)
		return
	}
	tok, out, err := s.broker.Token(ctx, req)
	if err != nil {
		s.writeMintError(w, r, req.App, err)
		return
	}
	rec.source = out.String()
	call.token = tok.AccessToken
	defer w.done()
	defer call.streamDone()
	s.gateway.ServeHTTP(w, r.WithContext(context.WithValue(ctx, callKey{}, call)))
	rec.complete = true
}

// checkCall reads a chat, conversation, bot or workflow call whole and
// applies the bot and workflow restrictions of scopes to it before it is
// forwarded: a body that cannot be read whole is refused, never passed
// on unchecked. The body read is kept for a replay.
func (s *Server) checkCall(w http.ResponseWriter, r *http.Request, call *gatewayCall, scopes []*coze.Scope) bool {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "the query string does not parse (use & between parameters, no ';'); it must be read to check the bot or workflow id", nil)
		return false
	}
	if r.ContentLength > policy.MaxCallBody {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("this call's body must be read to check its bot or workflow id and may be at most %d bytes", policy.MaxCallBody), nil)
		return false
	}
	if perr := readBody(w, r, call, policy.MaxCallBody); perr != nil {
		writeError(w, perr.status, perr.code, perr.msg, nil)
		return false
	}
	if len(call.body) > 0 {
		mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if err != nil || mt != "application/json" || len(r.Header.Values("Content-Type")) > 1 {
			writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body of a chat, conversation, bot or workflow call must be JSON: send Content-Type: application/json", nil)
			return false
		}
	}
	if d := policy.CheckCall(call.path, query, call.body, scopes...); d != nil {
		writeDenied(w, d)
		return false
	}
	return true
}

// keepSmallBody reads a body of known, small length into memory so the
// request can be replayed once after a 401. Larger or streamed bodies
// (uploads) flow through untouched and are never replayed.
func keepSmallBody(w http.ResponseWriter, r *http.Request, call *gatewayCall) *requestError {
	if r.ContentLength < 0 || r.ContentLength > maxReplayBody {
		return nil
	}
	return readBody(w, r, call, maxReplayBody)
}

// readBody reads the whole body, at most limit bytes, into call.body.
func readBody(w http.ResponseWriter, r *http.Request, call *gatewayCall, limit int64) *requestError {
	if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
		call.replay = true
		return nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &requestError{http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("request body is over %d bytes (or over its Content-Length)", limit)}
	case call.upload != nil && call.upload.stalled.Load():
		return &requestError{http.StatusRequestTimeout, "body_timeout", "the request body stopped arriving; send it without pauses longer than the gateway idle timeout"}
	case err != nil:
		return badRequest("reading the request body failed")
	}
	call.body, call.replay = data, true
	return nil
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// gatewayError answers a failed forward: nothing when the caller left,
// else an honest JSON error.
func (s *Server) gatewayError(w http.ResponseWriter, r *http.Request, err error) {
	call := r.Context().Value(callKey{}).(*gatewayCall)
	if call.upload != nil && call.upload.stalled.Load() {
		writeError(w, http.StatusRequestTimeout, "body_timeout", "the request body stopped arriving; send it without pauses longer than the gateway idle timeout", nil)
		return
	}
	if errors.Is(r.Context().Err(), context.Canceled) {
		return
	}
	var ne net.Error
	switch {
	case errors.Is(err, errMint):
		s.writeMintError(w, r, call.req.App, errors.Unwrap(err))
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		writeError(w, http.StatusGatewayTimeout, "upstream_timeout", "the Coze API did not answer in time", nil)
	default:
		s.log.Warn("gateway upstream error", "app", call.req.App, "path", call.path, "err", err)
		writeError(w, http.StatusBadGateway, "upstream_error", "the Coze API could not be reached or closed the connection", nil)
	}
}

// targets parses each app's API and WebSocket base once.
func gatewayTargets(cfg *config.Config) (api, ws map[string]*url.URL, err error) {
	api, ws = map[string]*url.URL{}, map[string]*url.URL{}
	for _, a := range cfg.Apps {
		u, err := url.Parse(a.APIBase)
		if err != nil {
			return nil, nil, err
		}
		api[a.Name] = u
		wsBase := a.WSBase
		if wsBase == "" {
			wsBase = a.APIBase
		}
		w, err := url.Parse(wsBase)
		if err != nil {
			return nil, nil, err
		}
		switch w.Scheme {
		case "wss":
			w.Scheme = "https"
		case "ws":
			w.Scheme = "http"
		}
		ws[a.Name] = w
	}
	return api, ws, nil
}
