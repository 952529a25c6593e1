package config

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"
)

// Visitor cookie lifetimes.
const (
	DefaultCookieMaxAge = 24 * time.Hour
	maxCookieMaxAge     = 30 * 24 * time.Hour
)

// Audit tunes the audit log.
type Audit struct {
	// HashSessions writes session names as a keyed hash (HMAC-SHA256)
	// instead of clear text.
	HashSessions bool
	// SessionKey is the HMAC key of those hashes: configured, the hashes
	// are stable across restarts and replicas; nil, a random key per
	// process is used.
	SessionKey []byte
}

type rawAudit struct {
	HashSessions bool   `yaml:"hash_sessions"`
	SessionKey   string `yaml:"session_key"`
}

var hostnameRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)

// NormHost returns the host name h (no port) in the form the server
// compares: lower case, no trailing dot, IPv6 without brackets. It fails
// on anything that is not a DNS name or an IP address.
func NormHost(h string) (string, error) {
	n := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	n = strings.TrimSuffix(strings.TrimPrefix(n, "["), "]")
	if ip, err := netip.ParseAddr(n); err == nil && ip.Zone() == "" {
		return ip.Unmap().String(), nil
	}
	if len(n) > 253 || !hostnameRE.MatchString(n) {
		return "", fmt.Errorf("%q is not a host name or IP address (write it without scheme or port, e.g. dev.example.test)", h)
	}
	return n, nil
}

// resolveEdge reads the edge settings: allowed_hosts, admin_clients and
// audit. It runs after the clients are known.
func (c *Config) resolveEdge(fc *fileConfig, e *errs) {
	a := &c.Access
	for i, h := range fc.AllowedHosts {
		n, err := NormHost(h)
		if err != nil {
			e.add(fmt.Sprintf("allowed_hosts[%d]", i), "list host names such as dev.example.test or 192.168.1.5, without scheme or port", "%v", err)
		}
		a.AllowedHosts = append(a.AllowedHosts, n)
	}
	known := map[string]bool{}
	for _, cl := range a.Clients {
		known[cl.Name] = true
	}
	for i, name := range fc.AdminClients {
		if !appNameRE.MatchString(name) {
			e.add(fmt.Sprintf("admin_clients[%d]", i), "list client names from clients: or the keys file", "%q is not a client name", name)
			continue
		}
		if !known[name] {
			// A warning, not an error: revoking an admin's key must not
			// make the next reload fail.
			c.Warnings = append(c.Warnings, fmt.Sprintf("admin_clients: no client named %q (revoked?); it grants nothing", name))
		}
		a.AdminClients = append(a.AdminClients, name)
	}
	a.Audit.HashSessions = fc.Audit.HashSessions
	if fc.Audit.SessionKey != "" {
		k, err := decodeSecret(fc.Audit.SessionKey)
		if err != nil {
			e.add("audit.session_key", "use at least 32 random bytes, hex or base64 (e.g. `openssl rand -hex 32`)", "%v", err)
		}
		a.Audit.SessionKey = k
	}
}

// cookieMaxAge parses cookie.max_age: a Go duration from 1m to 720h,
// DefaultCookieMaxAge when empty.
func cookieMaxAge(s string, e *errs) time.Duration {
	if s == "" {
		return DefaultCookieMaxAge
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Minute || d > maxCookieMaxAge {
		e.add("cookie.max_age", "use a Go duration from 1m to 720h, e.g. 24h", "%q is not valid", s)
		return DefaultCookieMaxAge
	}
	return d.Truncate(time.Second)
}

// envAllowedHosts reads COZEAUTH_ALLOWED_HOSTS: host names separated by
// commas.
func envAllowedHosts(getenv func(string) string, e *errs) []string {
	var out []string
	for h := range strings.SplitSeq(getenv("COZEAUTH_ALLOWED_HOSTS"), ",") {
		if strings.TrimSpace(h) == "" {
			continue
		}
		n, err := NormHost(h)
		if err != nil {
			e.add("COZEAUTH_ALLOWED_HOSTS", "list host names separated by commas, without scheme or port", "%v", err)
			continue
		}
		out = append(out, n)
	}
	return out
}
