package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// edgeFixture is f serving with cfg.Access set by setup (which starts
// from testAccess's rules, or from open mode when open is true), with the
// audit log in its own buffer.
type edgeFixture struct {
	*fixture
	keys  testKeys
	audit *syncBuffer
}

func newEdgeFixture(t *testing.T, open bool, setup func(*config.Access)) *edgeFixture {
	t.Helper()
	f := newFixture(t)
	var keys testKeys
	if open {
		f.cfg.Access = config.Access{}
	} else {
		f.cfg.Access, keys = testAccess(t)
	}
	if setup != nil {
		setup(&f.cfg.Access)
	}
	audit := &syncBuffer{}
	s := mustNew(t, f.cfg, f.b, Options{Log: f.logger, Audit: slog.New(slog.NewTextHandler(audit, nil))})
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	f.server = s
	return &edgeFixture{fixture: f, keys: keys, audit: audit}
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.Buffer.String()
}

// send is one request with any header lines (repeated ones included) and,
// when host is not "", that Host.
func (f *edgeFixture) send(t *testing.T, method, path, body, host string, hdr http.Header) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range hdr {
		req.Header[http.CanonicalHeaderKey(k)] = vs
	}
	if host != "" {
		req.Host = host
	}
	resp, err := f.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, data
}

// hdr builds a header from name, value pairs; a name may repeat.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}

func errCode(t *testing.T, body []byte) string {
	t.Helper()
	return decode[errAnswer](t, body).Error.Code
}
