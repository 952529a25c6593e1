package server

import (
	"net/http"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/policy"
)

// MetricsPath serves Prometheus metrics (Options.Metrics) on the main
// listener: to a caller on this machine as it is, to anyone else only
// with an admin client's key (admin_clients), like /readyz details.
const MetricsPath = "/metrics"

// routeOps adds the operator's routes: /metrics (when metrics is set),
// /status, /status.json and /status.js.
func (s *Server) routeOps(metrics http.Handler) {
	if metrics != nil {
		s.mux.Handle("GET "+MetricsPath, s.adminOnly("metrics", metrics))
	}
	s.mux.Handle("GET "+StatusPath, s.adminOnly("the status page", http.HandlerFunc(s.handleStatusPage)))
	s.mux.Handle("GET "+StatusJSONPath, s.adminOnly("the status page", http.HandlerFunc(s.handleStatusJSON)))
	s.mux.Handle("GET "+statusJSPath, s.adminOnly("the status page", http.HandlerFunc(s.handleStatusJS)))
}

// adminOnly lets through a caller on this machine or an admin client
// with its key (see readyDetail), and refuses anyone else with 401 or 403
// and an audited denial.
func (s *Server) adminOnly(what string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, ok, d := s.readyDetail(r)
		if d == nil && !ok {
			d = &policy.Denied{Status: http.StatusForbidden, Code: "not_admin",
				Msg: what + " is for a caller on this machine, or a client listed under admin_clients with its key (Authorization: Bearer or X-API-Key)"}
		}
		if d != nil {
			s.deny(w, r, c, d)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// meterToken reports one answered token request. c is nil when the caller
// was refused before it was known; code comes from the answer's error
// header.
func (s *Server) meterToken(w http.ResponseWriter, c *caller, app, outcome string) {
	pol := ""
	if c != nil {
		pol = c.policyName()
	}
	code := ""
	if outcome != meter.Hit && outcome != meter.Mint {
		code = w.Header().Get(ErrorHeader)
		if code == "mint_rate_limited" {
			s.met.RateLimited(pol, "mint_rate")
		}
	}
	s.met.Token(app, pol, outcome, code)
}

// meterGateway reports one finished gateway call.
func (s *Server) meterGateway(rec *gatewayRecord) {
	status := rec.w.status
	if status == 0 {
		status = http.StatusOK
	}
	if status == http.StatusServiceUnavailable && rec.w.Header().Get(ErrorHeader) == "mint_rate_limited" {
		pol := ""
		if rec.caller != nil {
			pol = rec.caller.policyName()
		}
		s.met.RateLimited(pol, "mint_rate")
	}
	s.met.Gateway(rec.req.App, status, time.Since(rec.start))
}

// streamStart counts the answer as an open stream when it is one: a
// WebSocket upgrade or server-sent events.
func (c *gatewayCall) streamStart(resp *http.Response) {
	if c.stream || c.met == nil {
		return
	}
	if resp.StatusCode == http.StatusSwitchingProtocols || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		c.stream = true
		c.met.Streams(1)
	}
}

// streamDone closes the stream streamStart counted, if any.
func (c *gatewayCall) streamDone() {
	if c.stream {
		c.stream = false
		c.met.Streams(-1)
	}
}
