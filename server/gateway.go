package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
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
}

// callerHeaders are cozeauth's own request headers: never sent to Coze.
var callerHeaders = []string{"Authorization", "X-API-Key", "X-User-ID", "Cookie", AppHeader}

// newGateway builds the reverse proxy that forwards Coze API calls with
// the broker's token injected. Answers stream through as they arrive
// (FlushInterval -1), WebSocket upgrades pass through.
func (s *Server) newGateway(timeout time.Duration) *httputil.ReverseProxy {
	if timeout <= 0 {
		timeout = 5 * time.Minute
	}
	base := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: timeout,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
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
		ErrorLog:       nil,
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
	out.Host = ""
	for _, h := range callerHeaders {
		out.Header.Del(h)
	}
	out.Header.Set("Authorization", "Bearer "+call.token)
	pr.SetXForwarded()
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
	return nil
}

// handleGateway forwards a Coze API call: authenticate, apply the policy
// (path allowlist included), get the session's token, forward.
func (s *Server) handleGateway(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if prefix := s.conf().GatewayPrefix; prefix != "" {
		path = strings.TrimPrefix(path, prefix)
	}
	c, ok := s.admit(w, r)
	if !ok {
		return
	}
	if c.policy != nil && !c.policy.AllowsPath(path) {
		writeError(w, http.StatusForbidden, "path_not_allowed", "policy "+c.policy.Name+" may not call "+path, nil)
		return
	}
	in := policy.Input{App: r.Header.Get(AppHeader)}
	if perr := sessionHeader(r, &in); perr != nil {
		writeError(w, perr.status, perr.code, perr.msg, nil)
		return
	}
	req, denied := s.decide(c, in, nil)
	if denied != nil {
		writeDenied(w, denied)
		return
	}
	gen := s.access.Load()
	call := &gatewayCall{req: req, path: path, target: gen.targets[req.App]}
	if isWebSocket(r) {
		call.target = gen.wsTargets[req.App]
	}
	if call.target == nil { // removed by a reload since decide
		writeError(w, http.StatusNotFound, "unknown_app", "no app named "+req.App+" is configured", nil)
		return
	}
	if err := keepSmallBody(w, r, call); err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", err.Error(), nil)
		return
	}
	tok, out, err := s.broker.Token(r.Context(), req)
	if err != nil {
		s.writeMintError(w, r, req.App, err)
		return
	}
	s.audit(c, req, tok, out)
	call.token = tok.AccessToken
	// Streams and uploads outlive the server's default timeouts.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Now().Add(time.Hour))
	s.gateway.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), callKey{}, call)))
}

// keepSmallBody reads a body of known, small length into memory so the
// request can be replayed once after a 401. Larger or streamed bodies
// (uploads) flow through untouched and are never replayed.
func keepSmallBody(w http.ResponseWriter, r *http.Request, call *gatewayCall) error {
	switch {
	case r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0:
		call.replay = true
		return nil
	case r.ContentLength < 0 || r.ContentLength > maxReplayBody:
		return nil
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxReplayBody))
	if err != nil {
		return errors.New("request body larger than its Content-Length")
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
	if errors.Is(r.Context().Err(), context.Canceled) {
		return
	}
	call := r.Context().Value(callKey{}).(*gatewayCall)
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
