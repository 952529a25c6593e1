package server

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/cozeauth/cozeauth/internal/logwriter"
	"github.com/cozeauth/cozeauth/meter/prom"
)

// BenchmarkTokenHitObserved is the token handler on a cache hit, without
// the network, as serve runs it: bare (no audit log, no meter), with the
// audit log (through logwriter, as serve writes it), with the Prometheus
// meter, and with both. The difference is what auditing and metrics cost
// the hot path per request.
func BenchmarkTokenHitObserved(b *testing.B) {
	for _, c := range []struct {
		name         string
		audit, meter bool
	}{{"bare", false, false}, {"audit", true, false}, {"meter", false, true}, {"audit+meter", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			f := newFixture(b)
			o := Options{Log: f.logger}
			if c.audit {
				w := logwriter.New(io.Discard, logwriter.Options{})
				b.Cleanup(func() { w.Close() })
				o.Audit = slog.New(logwriter.NewHandler(w, false)).With("log", "audit")
			}
			if c.meter {
				m := prom.New()
				o.Meter, o.Metrics = m, m.Handler()
			}
			h := mustNew(b, f.cfg, f.b, o)
			req := httptest.NewRequest("POST", "/token", nil)
			req.Header.Set("X-User-ID", "hot")
			h.ServeHTTP(httptest.NewRecorder(), req)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					if rec.Code != 200 {
						b.Fatal(rec.Code)
					}
				}
			})
		})
	}
}
