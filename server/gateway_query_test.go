package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestGatewayDropsQueryCredential: Coze's SDKs also put their credential
// in ?authorization= (for browser WebSockets); with the gateway that is a
// cozeauth client key, which must never reach Coze. Other parameters pass
// byte for byte.
func TestGatewayDropsQueryCredential(t *testing.T) {
	f, up := gatewayFixture(t, okJSON, Options{})
	for _, tt := range []struct{ in, want string }{
		{"authorization=Bearer%20ck_secret&x=1", "x=1"},
		{"x=1&Authorization=Bearer+ck_secret&y=%2F", "x=1&y=%2F"},
		{"%61uthorization=ck_secret&bot_id=7", "bot_id=7"},
		{"authorization&x=1", "x=1"},
		{"x=a%20b&authorized=1", "x=a%20b&authorized=1"},
		{"x=1", "x=1"},
	} {
		if status, _, body := f.do(t, "GET", "/v1/users/me?"+tt.in, "", nil); status != http.StatusOK {
			t.Fatalf("%s: %d %s", tt.in, status, body)
		}
		if got := up.last().URL.RawQuery; got != tt.want {
			t.Errorf("?%s reached Coze as ?%s, want ?%s", tt.in, got, tt.want)
		}
	}
}

func FuzzWithoutQueryCredential(f *testing.F) {
	for _, s := range []string{"", "authorization=x", "a=1&AUTHORIZATION=2&b=3", "%zz=1&authorization=2", "&&authorization&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		out := withoutQueryCredential(raw)
		for _, p := range strings.Split(out, "&") {
			name, _, _ := strings.Cut(p, "=")
			if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(n, queryCredential) || strings.EqualFold(name, queryCredential) {
				t.Fatalf("%q kept %q", raw, p)
			}
		}
		if len(out) > len(raw) {
			t.Fatalf("%q grew to %q", raw, out)
		}
	})
}
