package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"crypto/sha512"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// The browser client, /client.js: a dependency-free script exposing
// cozeauth.getToken() and adapters for Coze's SDKs (assets/client.js).
// It is public and holds no secret, so it is served to anyone, on any
// Host, with Access-Control-Allow-Origin: * (an <script integrity=...
// crossorigin> tag needs CORS).
//
//   - GET /client.js: the current version, Cache-Control max-age=300 and an
//     ETag (If-None-Match answers 304); Content-Location names the
//     versioned URL.
//   - GET /client/<version>.js: the same bytes under a URL that changes
//     whenever they do, cached for a year as immutable: the URL to pin
//     with Subresource Integrity (X-Cozeauth-Integrity carries the
//     sha384 value for the integrity attribute).
const (
	ClientJSPath     = "/client.js"
	clientJSDir      = "/client/"
	clientJSMaxAge   = "public, max-age=300"
	immutableCaching = "public, max-age=31536000, immutable"
)

//go:embed assets/client.js
var clientJS []byte

// asset is an embedded file as served: its bytes, gzipped bytes, version
// (16 hex digits of its SHA-256), ETag and SRI value.
type asset struct {
	body, gz  []byte
	ctype     string
	version   string
	etag      string
	integrity string
}

func newAsset(body []byte, ctype string) *asset {
	sum := sha256.Sum256(body)
	sri := sha512.Sum384(body)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	v := hex.EncodeToString(sum[:8])
	return &asset{body: body, gz: buf.Bytes(), ctype: ctype, version: v, etag: `"` + v + `"`,
		integrity: "sha384-" + base64.StdEncoding.EncodeToString(sri[:])}
}

var clientAsset = newAsset(clientJS, "text/javascript; charset=utf-8")

// ClientJSVersionedPath is the immutable URL path of this build's
// client.js, e.g. /client/3f9a1c2b4d5e6f70.js.
func ClientJSVersionedPath() string { return clientJSDir + clientAsset.version + ".js" }

// ClientJSIntegrity is the Subresource Integrity value of this build's
// client.js ("sha384-...").
func ClientJSIntegrity() string { return clientAsset.integrity }

// ClientJSGzipSize is the size in bytes of client.js as served gzipped.
func ClientJSGzipSize() int { return len(clientAsset.gz) }

func (s *Server) handleClientJS(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Location", ClientJSVersionedPath())
	clientAsset.serve(w, r, clientJSMaxAge)
}

func (s *Server) handleClientJSVersion(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("file") != clientAsset.version+".js" {
		writeError(w, http.StatusNotFound, "not_found", "this server serves client.js version "+clientAsset.version+
			" only: load "+ClientJSVersionedPath()+" (or "+ClientJSPath+", which always has the current one) and update the integrity attribute", nil)
		return
	}
	clientAsset.serve(w, r, immutableCaching)
}

// serve answers a GET or HEAD for a, gzipped when the caller accepts it,
// 304 when its ETag matches If-None-Match.
func (a *asset) serve(w http.ResponseWriter, r *http.Request, cacheControl string) {
	h := w.Header()
	h.Set("Content-Type", a.ctype)
	h.Set("Cache-Control", cacheControl)
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Cross-Origin-Resource-Policy", "cross-origin")
	h.Set("X-Cozeauth-Integrity", a.integrity)
	if etagMatch(r.Header.Get("If-None-Match"), a.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := a.body
	if acceptsGzip(r) {
		h.Set("Content-Encoding", "gzip")
		body = a.gz
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

// etagMatch reports whether an If-None-Match value names etag (or *);
// weak tags match too, as RFC 9110 asks for GET.
func etagMatch(inm, etag string) bool {
	for t := range strings.SplitSeq(inm, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for e := range strings.SplitSeq(v, ",") {
			name, q, _ := strings.Cut(strings.TrimSpace(e), ";")
			if strings.EqualFold(strings.TrimSpace(name), "gzip") && strings.ReplaceAll(strings.TrimSpace(q), " ", "") != "q=0" {
				return true
			}
		}
	}
	return false
}
