package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/cozeauth/cozeauth/internal/logwriter"
	"github.com/cozeauth/cozeauth/meter/prom"
)

// headerOnly is a ResponseWriter that keeps headers and status and
// discards the body, so what is measured is the handler's own work.
type headerOnly struct {
	h      http.Header
	status int
}

func (w *headerOnly) Header() http.Header         { return w.h }
func (w *headerOnly) Write(p []byte) (int, error) { return len(p), nil }
func (w *headerOnly) WriteHeader(code int)        { w.status = code }

// observedServer is a Server for f's apps as serve runs one: the audit log
// through logwriter (to io.Discard) and the Prometheus meter on.
func observedServer(t testing.TB, f *fixture) *Server {
	w := logwriter.New(io.Discard, logwriter.Options{})
	t.Cleanup(func() { w.Close() })
	m := prom.New()
	return mustNew(t, f.cfg, f.b, Options{Log: f.logger, Audit: slog.New(logwriter.NewHandler(w, false)).With("log", "audit"), Meter: m, Metrics: m.Handler()})
}

// BenchmarkTokenHitServed is Server.ServeHTTP for a cache hit as serve
// runs it (audit log through logwriter, Prometheus meter on), with a
// ResponseWriter that costs nothing, on one goroutine: the token path's
// own cost per request, without net/http's.
//
//	go test -run '^$' -bench TokenHitServed -cpu 1 -count 5 ./server
func BenchmarkTokenHitServed(b *testing.B) {
	h := observedServer(b, newFixture(b))
	req := httptest.NewRequest("POST", "/token", nil)
	req.RemoteAddr = "127.0.0.1:5555"
	req.Host = "127.0.0.1:8080"
	req.Header.Set("X-User-ID", "hot")
	req.Header.Set("User-Agent", "wrk")
	rw := &headerOnly{h: make(http.Header, 8)}
	h.ServeHTTP(rw, req)
	b.ReportAllocs()
	for b.Loop() {
		clear(rw.h)
		h.ServeHTTP(rw, req)
	}
}
