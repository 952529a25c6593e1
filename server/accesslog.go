package server

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cozeauth/cozeauth/internal/logwriter"
)

// accessWriter records the status and size of an answer for the access
// log. Unwrap lets http.ResponseController (flushes, hijacks, deadlines)
// reach the connection's own writer.
type accessWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (a *accessWriter) WriteHeader(code int) {
	if a.status == 0 {
		a.status = code
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *accessWriter) Write(p []byte) (int, error) {
	if a.status == 0 {
		a.status = http.StatusOK
	}
	n, err := a.ResponseWriter.Write(p)
	a.bytes += int64(n)
	return n, err
}

func (a *accessWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }

// logAccess writes the access log line of one request: method, path (no
// query: a login callback's carries a code), status, bytes, duration and
// the connection's peer address. Never a header, so never a key or token.
func (s *Server) logAccess(a *accessWriter, r *http.Request, start time.Time) {
	peer, _, _ := net.SplitHostPort(r.RemoteAddr)
	status := a.status
	switch {
	case status == 0 && isWebSocket(r):
		status = http.StatusSwitchingProtocols // the proxy wrote it on the hijacked connection
	case status == 0:
		status = http.StatusOK
	}
	us := time.Since(start).Microseconds()
	code := a.Header().Get(ErrorHeader)
	if h, ok := s.accessLog.Handler().(*logwriter.Handler); ok {
		if l := h.Line("access"); l != nil {
			l.Str("method", r.Method).Str("path", r.URL.Path).Int("status", int64(status)).Int("bytes", a.bytes).
				Int("duration_us", us).Str("peer", peer).Str("error", code)
			if l.Write() {
				return
			}
		}
	}
	s.accessLog.LogAttrs(r.Context(), slog.LevelInfo, "access",
		slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", status),
		slog.Int64("bytes", a.bytes), slog.Int64("duration_us", us), slog.String("peer", peer),
		slog.String("error", code))
}
