package server

import (
	"net/url"
	"strings"
)

// queryCredential is the query parameter in which Coze's browser SDKs also
// send their credential (a WebSocket cannot set headers in a browser): on
// the way in it holds a placeholder or a cozeauth client key, never what
// Coze should see.
const queryCredential = "authorization"

// withoutQueryCredential returns the raw query without any
// authorization=... parameter (its name compared case-insensitively, in
// any escaping), leaving the other parameters byte for byte as they came.
// The injected Authorization header is the only credential Coze receives.
func withoutQueryCredential(raw string) string {
	if !strings.Contains(strings.ToLower(raw), "authori") && !strings.Contains(raw, "%") {
		return raw
	}
	parts := strings.Split(raw, "&")
	kept := parts[:0]
	for _, p := range parts {
		name, _, _ := strings.Cut(p, "=")
		if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(n, queryCredential) || strings.EqualFold(name, queryCredential) {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, "&")
}
