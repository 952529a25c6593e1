package server

import (
	"net/http"
	"strings"
)

// probeMethods are the methods a 405's Allow header may list.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions}

// handleNotFound answers what no route took: 405 with Allow when the path
// exists under other methods, else 404 naming what this server does serve,
// the gateway (under its prefix) included.
func (s *Server) handleNotFound(w http.ResponseWriter, r *http.Request) {
	if allow := s.allowed(r); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed",
			r.Method+" is not allowed on "+r.URL.Path+": use "+strings.Join(allow, ", "), nil)
		return
	}
	prefix := s.conf().GatewayPrefix
	writeError(w, http.StatusNotFound, "not_found", "no such endpoint "+r.URL.Path+
		": cozeauth serves POST /token, the Coze API gateway under "+prefix+"/v1/, "+prefix+"/v3/ and "+prefix+"/open_api/"+
		" (Coze's own paths, e.g. "+prefix+"/v1/users/me), POST /connect, GET /healthz and GET /readyz", nil)
}

// allowed lists the methods some route other than the catch-all takes
// for r's path, by asking the router itself: it stays true as routes are
// added.
func (s *Server) allowed(r *http.Request) []string {
	var out []string
	for _, m := range probeMethods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != "/" {
			out = append(out, m)
		}
	}
	return out
}
