package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func get(h http.Handler, path string, hdr map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", path, nil)
	req.Host = "localhost"
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// TestClientJSServed holds /client.js's caching contract: the current
// version with a short max-age and an ETag (304 on a match), the same
// bytes at a versioned URL cached as immutable, the SRI value of exactly
// those bytes, gzip when accepted, and CORS for <script crossorigin>.
func TestClientJSServed(t *testing.T) {
	s := newFixture(t).server
	rec := get(s, ClientJSPath, nil)
	h := rec.Header()
	if rec.Code != 200 || !bytes.Equal(rec.Body.Bytes(), clientJS) {
		t.Fatalf("GET /client.js: %d, %d bytes", rec.Code, rec.Body.Len())
	}
	want := map[string]string{"Content-Type": "text/javascript; charset=utf-8", "Cache-Control": "public, max-age=300",
		"Access-Control-Allow-Origin": "*", "X-Content-Type-Options": "nosniff", "Content-Location": ClientJSVersionedPath()}
	for k, v := range want {
		if h.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, h.Get(k), v)
		}
	}
	sum := sha512.Sum384(rec.Body.Bytes())
	if sri := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); h.Get("X-Cozeauth-Integrity") != sri || ClientJSIntegrity() != sri {
		t.Errorf("integrity %q, want %q", h.Get("X-Cozeauth-Integrity"), sri)
	}
	etag := h.Get("ETag")
	if !strings.HasPrefix(ClientJSVersionedPath(), "/client/") || !strings.Contains(ClientJSVersionedPath(), strings.Trim(etag, `"`)) {
		t.Errorf("ETag %s and versioned path %s disagree", etag, ClientJSVersionedPath())
	}

	if rec := get(s, ClientJSPath, map[string]string{"If-None-Match": etag}); rec.Code != 304 || rec.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: %d with %d bytes, want 304 and none", etag, rec.Code, rec.Body.Len())
	}
	if rec := get(s, ClientJSPath, map[string]string{"If-None-Match": `"other"`}); rec.Code != 200 {
		t.Errorf("a stale ETag: %d, want 200", rec.Code)
	}

	rec = get(s, ClientJSVersionedPath(), map[string]string{"Accept-Encoding": "br, gzip"})
	if rec.Code != 200 || rec.Header().Get("Cache-Control") != "public, max-age=31536000, immutable" || rec.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("versioned URL: %d %v", rec.Code, rec.Header())
	}
	zr, err := gzip.NewReader(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Equal(plain, clientJS) {
		t.Error("the gzipped answer is not client.js")
	}
	if rec := get(s, ClientJSPath, map[string]string{"Accept-Encoding": "gzip;q=0"}); rec.Header().Get("Content-Encoding") != "" {
		t.Error("gzip sent to a caller refusing it")
	}

	rec = get(s, "/client/0000000000000000.js", nil)
	if rec.Code != 404 || rec.Header().Get(ErrorHeader) != "not_found" || !strings.Contains(rec.Body.String(), ClientJSVersionedPath()) {
		t.Errorf("an old version: %d %s, want 404 naming the current URL", rec.Code, rec.Body)
	}
}

// TestClientJSSize holds the size target: client.js as served gzipped is
// under 4 KiB (BenchmarkClientJS reports the number).
func TestClientJSSize(t *testing.T) {
	if n := ClientJSGzipSize(); n >= 4096 {
		t.Errorf("client.js is %d bytes gzipped, over the 4096-byte target", n)
	}
}

// BenchmarkClientJS serves /client.js gzipped and reports its size on the
// wire (gzip-bytes) beside the raw size (raw-bytes).
func BenchmarkClientJS(b *testing.B) {
	s := newFixture(b).server
	req := httptest.NewRequest("GET", ClientJSPath, nil)
	req.Host = "localhost"
	req.Header.Set("Accept-Encoding", "gzip")
	var n int
	for b.Loop() {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		n = rec.Body.Len()
	}
	b.ReportMetric(float64(n), "gzip-bytes")
	b.ReportMetric(float64(len(clientJS)), "raw-bytes")
}
