package server

import (
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// DNS rebinding: a web page on evil.example can point its own name at
// 127.0.0.1 and then talk to a server on the developer's machine as if it
// were same-origin. Its requests still say "Host: evil.example", and its
// Origin is http://evil.example. In open mode (no policies, every caller
// gets a full-permission token) cozeauth therefore answers only requests
// addressed to a loopback name — or to a name the operator listed under
// allowed_hosts — and lets only loopback pages read its answers. Pages
// elsewhere need no rebinding to make a browser connect to 127.0.0.1 (a
// WebSocket, which CORS does not cover; an <img> GET, which carries no
// Origin): open mode refuses a foreign Origin on every request, and a
// request without one that the browser marks Sec-Fetch-Site: cross-site.
//
// With policies the Host is checked only when allowed_hosts is set: a
// rebinding page holds no client key, and a public policy answers only its
// listed origins, so the check there is defence in depth that an operator
// behind a proxy with its own public names opts into by listing them.

// hostName returns the name part of a Host header value (no port, IPv6
// without brackets, lower case, no trailing dot); false when malformed.
// It does not validate the name: an odd one simply matches nothing.
func hostName(hostport string) (string, bool) {
	name, port := hostport, ""
	if strings.HasPrefix(hostport, "[") {
		end := strings.IndexByte(hostport, ']')
		if end < 0 {
			return "", false
		}
		name, port = hostport[1:end], hostport[end+1:]
		if port != "" && port[0] != ':' {
			return "", false
		}
	} else if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		name, port = hostport[:i], hostport[i:]
	}
	if port != "" {
		if _, err := strconv.ParseUint(port[1:], 10, 16); err != nil {
			return "", false
		}
	}
	name = strings.TrimSuffix(strings.ToLower(name), ".")
	return name, name != ""
}

// loopbackName reports whether a host name is this machine: localhost,
// 127.0.0.0/8 or ::1.
func loopbackName(n string) bool {
	if n == "localhost" {
		return true
	}
	if ip, ok := parseIP(n); ok {
		return ip.Unmap().IsLoopback()
	}
	return false
}

// parseIP parses n when it looks like an IP address (sparing the error
// of a host name).
func parseIP(n string) (netip.Addr, bool) {
	if n == "" || !(n[0] >= '0' && n[0] <= '9' || strings.IndexByte(n, ':') >= 0) {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(n)
	return ip, err == nil && ip.Zone() == ""
}

// knownHost reports whether hostport names a loopback address or a host
// the operator allowed.
func (s *Server) knownHost(hostport string) bool { return s.access.Load().knownHost(hostport) }

func (acc *access) knownHost(hostport string) bool {
	if last := acc.lastHost.Load(); last != nil && *last == hostport {
		return true // the Host the clients use, already found known
	}
	n, ok := hostName(hostport)
	if !ok {
		return false
	}
	allowed := acc.cfg.Access.AllowedHosts
	known := loopbackName(n) || slices.Contains(allowed, n)
	if !known {
		if ip, ok := parseIP(n); ok && ip.Unmap().String() != n {
			known = slices.Contains(allowed, ip.Unmap().String())
		}
	}
	if known {
		h := hostport // a copy: taking hostport's address would move it to the heap on every call
		acc.lastHost.Store(&h)
	}
	return known
}

// checkHost refuses a request whose Host is not known, in open mode or
// when allowed_hosts is configured.
func (s *Server) checkHost(r *http.Request, acc *access) *policy.Denied {
	if !acc.open && len(acc.cfg.Access.AllowedHosts) == 0 || acc.knownHost(r.Host) {
		return nil
	}
	h := r.Host
	if len(h) > 100 {
		h = h[:100] + "..."
	}
	why := "with no policies configured (open mode) cozeauth answers only requests addressed to localhost, 127.0.0.1 or [::1]"
	if !acc.open {
		why = "it is not a loopback name nor listed under allowed_hosts"
	}
	return &policy.Denied{Status: http.StatusForbidden, Code: "host_not_allowed",
		Msg: "Host header " + strconv.Quote(h) + " refused: " + why + " (this stops web pages that rebind their domain to this machine); " +
			"to use this name, add it to allowed_hosts: in the config file or to COZEAUTH_ALLOWED_HOSTS (comma-separated)"}
}

// loopbackOrigin reports whether a browser Origin is a page served from
// this machine: http(s)://localhost, 127.0.0.0/8 or [::1], any port.
func loopbackOrigin(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return false
	}
	n, ok := hostName(u.Host)
	return ok && loopbackName(n)
}

// openOriginDenied refuses, in open mode, a browser page that is not on
// this machine: it must not read full-permission tokens.
var openOriginDenied = &policy.Denied{Status: http.StatusForbidden, Code: "origin_not_allowed",
	Msg: "with no policies configured (open mode) only pages on this machine (http://localhost:*, http://127.0.0.1:*, http://[::1]:*) may call cozeauth from a browser; " +
		"to serve other sites, configure a policy that lists their origins (docs/access.md)"}

// openCrossSiteDenied refuses, in open mode, a request a browser marks as
// sent by another site without an Origin (a GET from an image, script or
// link): it would act with a full-permission token.
var openCrossSiteDenied = &policy.Denied{Status: http.StatusForbidden, Code: "cross_site_not_allowed",
	Msg: "with no policies configured (open mode) a request another web site makes a browser send (Sec-Fetch-Site: cross-site) is refused; " +
		"call from a page on this machine or from a program, or configure a policy (docs/access.md)"}

// edge is the edge settings of the generation in force: allowed hosts,
// admin clients, audit. A reload changes them with the rest.
func (s *Server) edge() *config.Access { return &s.conf().Access }
