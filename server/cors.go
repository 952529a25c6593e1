package server

import (
	"net/http"
	"strconv"
)

// CORS: only origins a policy lists are echoed, never "*", always with
// Vary: Origin; credentials are allowed so public visitors' cookies flow.
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
	if origin == "" || !acc.origins[origin] {
		writeError(w, http.StatusForbidden, "origin_not_allowed", "this browser origin is not allowed by any policy", nil)
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
	h.Set("Access-Control-Expose-Headers", "Retry-After")
}
