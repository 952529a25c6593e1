package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// clientIP is the caller's address: the peer's, or with trustProxy the
// address the trusted proxy recorded in X-Forwarded-For.
//
// The proxy appends the address it saw, so only the right-most entry is
// the proxy's word; everything left of it is whatever the caller sent. The
// header may arrive as several lines (a proxy that adds its own line, as
// HAProxy does, instead of extending the caller's): the lines are one list
// joined in order, and the right-most entry of the last line counts.
//
// When that entry is missing or not an IP address, the peer address (the
// proxy's) is used rather than any entry to its left: those are the
// caller's to choose, so taking one would let a caller pick the address
// its per-IP limit is counted under. Falling back to the proxy's address
// shares one limit among such requests — stricter, never spoofable.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if vs := r.Header.Values("X-Forwarded-For"); len(vs) > 0 {
			if ip, ok := rightmostIP(vs[len(vs)-1]); ok {
				return ip
			}
		}
	}
	return peerIP(r)
}

// rightmostIP parses the last comma-separated entry of line.
func rightmostIP(line string) (string, bool) {
	last := line
	if i := strings.LastIndexByte(line, ','); i >= 0 {
		last = line[i+1:]
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(last))
	if err != nil || ip.Zone() != "" {
		return "", false
	}
	return ip.Unmap().String(), true
}

// peerIP is the address of the connection's other end, never a header's
// claim.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
