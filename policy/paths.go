package policy

import "strings"

// PublicPaths are the gateway paths a public policy may call when it
// lists none: chatting and the conversations it needs, nothing else.
var PublicPaths = []string{"/v3/chat", "/v1/conversation", "/v1/conversations"}

// AllowsPath reports whether p may call the Coze API path through the
// gateway. Paths are matched by whole segments: "/v3/chat" allows
// "/v3/chat" and "/v3/chat/retrieve", not "/v3/chatty". A policy without
// Paths may call any path, unless it is public.
func (p *Policy) AllowsPath(path string) bool {
	allowed := p.Paths
	if allowed == nil {
		if !p.Public {
			return true
		}
		allowed = PublicPaths
	}
	for _, a := range allowed {
		if path == a || strings.HasPrefix(path, a) && (strings.HasSuffix(a, "/") || path[len(a)] == '/') {
			return true
		}
	}
	return false
}
