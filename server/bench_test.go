package server

import (
	"net/http/httptest"
	"testing"
)

// BenchmarkTokenHandlerHit is the token endpoint's handler on a cache hit,
// without the network: parsing, lookup and the JSON answer.
func BenchmarkTokenHandlerHit(b *testing.B) {
	f := newFixture(b)
	h := f.srv.Config.Handler
	req := httptest.NewRequest("POST", "/token", nil)
	req.Header.Set("X-User-ID", "hot")
	h.ServeHTTP(httptest.NewRecorder(), req)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
	}
}
