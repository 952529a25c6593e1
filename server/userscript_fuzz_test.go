package server

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// FuzzUserScriptHost sends the user script route any Host header (the one
// part of the script a caller chooses): the answer is a refusal, or a
// metadata block of known directives only, one @connect, nothing added
// through the Host (a line break, a @require), and the Host never breaks
// out of the script's JSON config.
func FuzzUserScriptHost(f *testing.F) {
	for _, h := range []string{"localhost:8080", "127.0.0.1", "[::1]:9", "auth.example.test", "auth.example.test\n// @require http://evil/x.js",
		"a\"b", "x</script>", "host:port", "", "evil.example@localhost", "localhost/../x", "LOCALHOST.:80"} {
		f.Add(h)
	}
	fx := newFixture(f)
	cfg := fx.withAccess(config.Access{AllowedHosts: []string{"auth.example.test"}})
	s := mustNew(f, cfg, fx.b, Options{})
	f.Fuzz(func(t *testing.T, host string) {
		req := httptest.NewRequest("GET", UserScriptPath, nil)
		req.Host = host
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != 200 {
			if rec.Header().Get(ErrorHeader) == "" {
				t.Fatalf("Host %q: %d without an error code", host, rec.Code)
			}
			return
		}
		body := rec.Body.String()
		lines, why := metadata(body)
		if why != "" {
			t.Fatalf("Host %q: %s", host, why)
		}
		if c := directives(lines, "connect"); len(c) != 1 || strings.ContainsAny(c[0], " /\"<>") {
			t.Fatalf("Host %q: @connect %q", host, c)
		}
		cfgJSON := body[strings.LastIndex(body, "})(")+3:]
		if !strings.HasPrefix(cfgJSON, `{"url":"http://`) || strings.Count(cfgJSON, "\n") != 1 || strings.Contains(cfgJSON, "</") {
			t.Fatalf("Host %q: config %q", host, cfgJSON)
		}
	})
}
