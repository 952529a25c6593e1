package server

import (
	"io"
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

// BenchmarkGatewayGet is one forwarded API call on a cached token, over
// loopback to a trivial upstream: the gateway's own cost per request.
func BenchmarkGatewayGet(b *testing.B) {
	f, _ := gatewayFixture(b, okJSON, Options{})
	do := func() {
		resp, err := f.srv.Client().Get(f.srv.URL + "/v1/users/me")
		if err != nil {
			b.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			b.Fatal(resp.StatusCode)
		}
	}
	do()
	b.ReportAllocs()
	for b.Loop() {
		do()
	}
}
