package server

import "testing"

// FuzzPlainPath: every path plainPath lets through without a closer look
// is one trickyPath would have let through as well.
func FuzzPlainPath(f *testing.F) {
	for _, p := range []string{"/token", "/v1/bots//x", "/a/./b", "/a/..", "/%2e%2E/", "/a%2Fb", `/a\b`, "/", "", "/v3/chat", "//", "/.", "/%5C"} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		if plainPath(p) && trickyPath(p) {
			t.Fatalf("plainPath(%q) is true but the path is a trick", p)
		}
	})
}
