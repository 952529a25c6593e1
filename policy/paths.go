package policy

import (
	"fmt"
	"strings"
)

// PublicPaths are the gateway paths a public policy may call when it
// lists none: chatting and the conversations it needs, nothing else.
var PublicPaths = []string{"/v3/chat", "/v1/conversation", "/v1/conversations"}

// GatewayRoots are the Coze API path roots the gateway forwards.
var GatewayRoots = []string{"/v1/", "/v3/", "/open_api/"}

// PathProblem explains why p, a request path as sent (still
// percent-encoded, gateway prefix removed), is not a clean Coze API path,
// or returns "" when it is. A clean path lies under a GatewayRoot and has
// only letters, digits, '-', '.', '_', '~' and '/': no percent-encoding,
// no ';' parameters, no control or other characters, no empty, "." or
// ".." segments. Coze API paths are plain, so nothing Coze (or a proxy in
// front of it) could decode differently from cozeauth ever passes.
func PathProblem(p string) string {
	rooted := false
	for _, r := range GatewayRoots {
		rooted = rooted || strings.HasPrefix(p, r)
	}
	if !rooted {
		return "the path is not under /v1/, /v3/ or /open_api/"
	}
	for i := 0; i < len(p); i++ {
		if c := p[i]; !pathByte(c) {
			return fmt.Sprintf("the path has %q at byte %d: Coze API paths use only letters, digits, '-', '.', '_', '~' and '/' (no percent-encoding, no ';')", c, i)
		}
	}
	for seg := range strings.SplitSeq(p[1:], "/") {
		switch seg {
		case "":
			return "the path has an empty segment ('//' or a trailing '/')"
		case ".", "..":
			return "the path has a '.' or '..' segment"
		}
	}
	return ""
}

func pathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~' || c == '/'
}

// AllowsPath reports whether p may call the Coze API path through the
// gateway. A path that is not clean (see PathProblem) is never allowed.
// Paths are matched by whole segments: "/v3/chat" allows "/v3/chat" and
// "/v3/chat/retrieve", not "/v3/chatty". A policy without Paths may call
// any clean path, unless it is public.
func (p *Policy) AllowsPath(path string) bool {
	if PathProblem(path) != "" {
		return false
	}
	allowed := p.Paths
	if allowed == nil {
		if !p.Public {
			return true
		}
		allowed = PublicPaths
	}
	for _, a := range allowed {
		if underPath(path, a) {
			return true
		}
	}
	return false
}

// underPath reports whether path is prefix or below it, by whole
// segments; a prefix ending in '/' matches anything below it.
func underPath(path, prefix string) bool {
	if prefix == "" {
		return false
	}
	return path == prefix || strings.HasPrefix(path, prefix) && (strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/')
}
