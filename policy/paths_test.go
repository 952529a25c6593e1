package policy

import (
	"strings"
	"testing"
)

func TestAllowsPath(t *testing.T) {
	cases := []struct {
		p    Policy
		path string
		want bool
	}{
		{Policy{}, "/v1/workflow/run", true},
		{Policy{Public: true}, "/v3/chat", true},
		{Policy{Public: true}, "/v3/chat/retrieve", true},
		{Policy{Public: true}, "/v3/chatty", false},
		{Policy{Public: true}, "/v1/workflow/run", false},
		{Policy{Public: true}, "/v1/conversation/create", true},
		{Policy{Paths: []string{"/v1/files/upload"}}, "/v1/files/upload", true},
		{Policy{Paths: []string{"/v1/files/upload"}}, "/v1/files/retrieve", false},
		{Policy{Paths: []string{"/v1/"}}, "/v1/anything/at/all", true},
		{Policy{Paths: []string{"/v1/"}}, "/v3/chat", false},
		{Policy{Paths: []string{}}, "/v3/chat", false},
		// Unclean paths are never allowed, whatever the policy lists.
		{Policy{}, "/v3/chat/..;/x", false},
		{Policy{Paths: []string{"/v3/chat"}}, "/v3/chat/..;/../v1/workflow/run", false},
		{Policy{Paths: []string{"/v3/chat"}}, "/v3/chat;x=1", false},
		{Policy{Paths: []string{"/v1/"}}, "/v1/%2e%2e/token", false},
		{Policy{}, "/v1/files/upload\x00", false},
	}
	for _, tc := range cases {
		if got := tc.p.AllowsPath(tc.path); got != tc.want {
			t.Errorf("%+v AllowsPath(%q) = %v, want %v", tc.p.Paths, tc.path, got, tc.want)
		}
	}
}

// TestPathProblemRefusesEncodingTricks holds the attack class of paths
// that a proxy or Coze could decode into something other than what the
// allowlist saw: ';' parameters, percent-encoded dots, separators and
// control characters, double encoding, dot and empty segments.
func TestPathProblemRefusesEncodingTricks(t *testing.T) {
	for _, p := range []string{
		"/v3/chat/..;/v1/workflow/run", "/v3/chat/..%3b/x", "/v3/chat;jsessionid=1", "/v1/%252e%252e/token",
		"/v1/%2e%2e/token", "/v1/a%2fb", "/v1/a%5cb", "/v1/bots%00", "/v1/bots%09", "/v1/bots%0d%0aX-Evil:%201",
		"/v1/bots/%37001", "/v1/bots/7001%20", "/v1/a\\b", "/v1/./bots", "/v1/../token", "/v1/bots/..", "/v1//bots",
		"/v1/bots/", "/v1/", "/token", "/v2/chat", "", "/V1/bots", "/v1/bots?x", "/v1/bots#x", "/v1/bø",
	} {
		if why := PathProblem(p); why == "" {
			t.Errorf("PathProblem(%q) accepted it", p)
		}
	}
	for _, p := range []string{"/v3/chat", "/v1/bots/7001", "/open_api/knowledge/document/list", "/v1/files/upload", "/v1/a.b/c_d-e~f"} {
		if why := PathProblem(p); why != "" {
			t.Errorf("PathProblem(%q) = %q, want clean", p, why)
		}
	}
}

// FuzzGatewayPath feeds arbitrary paths and allowlist entries to the
// gateway's path filter and policy allowlist. Oracle: whatever is allowed
// is a clean path under /v1/, /v3/ or /open_api/ — only unreserved
// characters and '/', no ';', no '%', no control characters, no empty,
// "." or ".." segment — and lies under an allowlist entry by whole
// segments.
func FuzzGatewayPath(f *testing.F) {
	f.Add("/v3/chat/retrieve", "/v3/chat", false)
	f.Add("/v3/chatty", "/v3/chat", false)
	f.Add("/v3/chat/..;/v1/workflow/run", "/v3/chat", false)
	f.Add("/v1/%252e%252e/token", "/v1/", false)
	f.Add("/v1/bots%0d%0a", "", false)
	f.Add("/v1/conversation/create", "", true)
	f.Add("/open_api/knowledge/document/list", "/open_api/", false)
	f.Fuzz(func(t *testing.T, path, allow string, public bool) {
		p := Policy{Public: public}
		if allow != "" {
			p.Paths = []string{allow}
		}
		if !p.AllowsPath(path) {
			return
		}
		if PathProblem(path) != "" {
			t.Fatalf("allowed %q, which PathProblem refuses", path)
		}
		if !strings.HasPrefix(path, "/v1/") && !strings.HasPrefix(path, "/v3/") && !strings.HasPrefix(path, "/open_api/") {
			t.Fatalf("allowed %q outside the gateway roots", path)
		}
		for i := 0; i < len(path); i++ {
			c := path[i]
			if c < 0x21 || c >= 0x7f || strings.IndexByte(";%?#\\:@!$&'()*+,=[]", c) >= 0 {
				t.Fatalf("allowed %q with byte %q", path, c)
			}
		}
		for _, seg := range strings.Split(path[1:], "/") {
			if seg == "" || seg == "." || seg == ".." {
				t.Fatalf("allowed %q with segment %q", path, seg)
			}
		}
		list := p.Paths
		if list == nil {
			if !public {
				return
			}
			list = PublicPaths
		}
		for _, a := range list {
			if path == a || strings.HasSuffix(a, "/") && strings.HasPrefix(path, a) || strings.HasPrefix(path, a+"/") {
				return
			}
		}
		t.Fatalf("allowed %q, not under %q by whole segments", path, list)
	})
}
