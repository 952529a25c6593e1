package server

import (
	"net/http"
	"strconv"

	"github.com/cozeauth/cozeauth/policy"
)

// CORS: only origins a policy lists are echoed — in open mode only pages
// on this machine (loopback origins) — never "*", always with Vary:
// Origin; credentials are allowed so public visitors' cookies flow.
const (
	corsMethods = "GET, POST, OPTIONS"
	corsHeaders = "Authorization, X-API-Key, X-User-ID, Content-Type"
	corsMaxAge  = 600
)

// preflight answers an OPTIONS request for an allowed origin.
func (s *Server) preflight(w http.ResponseWriter, r *http.Request) {
	acc := s.access.Load()
	origin := r.Header.Get("Origin")
	h := w.Header()
	h.Add("Vary", "Origin")
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	if d := s.checkHost(r, acc); d != nil {
		s.deny(w, r, nil, d)
		return
	}
	switch {
	case acc.open && !loopbackOrigin(origin):
		s.deny(w, r, nil, openOriginDenied)
		return
	case !acc.open && (origin == "" || !acc.origins[origin]):
		s.deny(w, r, nil, &policy.Denied{Status: http.StatusForbidden, Code: "origin_not_allowed",
			Msg: "this browser origin is not allowed by any policy: list it under a policy's origins"})
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
	w.WriteHeader(http.StatusNoContent)
}

// allowOrigin sets the CORS headers of an answer to an allowed origin.
func allowOrigin(w http.ResponseWriter, origin string) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", "Retry-After, "+ErrorHeader+", X-Tt-Logid")
}
