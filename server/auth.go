package server

import (
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/policy"
)

// caller is who is asking, after authentication.
type caller struct {
	client  string         // client name; "" when anonymous
	id      string         // client identity (policy.Client.ID()); "" when anonymous
	policy  *policy.Policy // nil in open mode
	ip      string
	origin  string // allowed browser origin, "" when none
	visitor string // verified visitor cookie id (public policies)
}

// admit authenticates a token or gateway request and, for an allowed
// browser origin, answers with its CORS headers. On refusal it has
// written the error and reports false.
func (s *Server) admit(w http.ResponseWriter, r *http.Request) (*caller, bool) {
	acc := s.access.Load()
	if !acc.open {
		w.Header()["Vary"] = varyOrigin
	}
	c, denied := s.authenticate(w, r, acc)
	if denied != nil {
		writeDenied(w, denied)
		return nil, false
	}
	if c.origin != "" {
		allowOrigin(w, c.origin)
	}
	return c, true
}

// authenticate finds the caller's policy from its key, or from its origin
// for public policies, and applies the rate limits. In open mode (nothing
// configured) everyone is let in with no policy, as the Worker did.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, acc *access) (*caller, *policy.Denied) {
	c := &caller{ip: clientIP(r, acc.trustProxy)}
	if acc.open {
		return c, nil
	}
	origin := r.Header.Get("Origin")
	key, hasKey := presentedKey(r)
	if hasKey && acc.public[origin] != nil && !strings.HasPrefix(key, policy.KeyPrefix) {
		// A browser SDK insists on sending some token: on a public origin a
		// placeholder that is not a client key counts as no key at all.
		hasKey = false
	}
	switch {
	case hasKey:
		cl, ok := acc.keys.Lookup(key)
		if !ok {
			return nil, &policy.Denied{Status: 401, Code: "invalid_client_key", Msg: "the client key is not valid (revoked, mistyped or from another server)"}
		}
		c.client, c.id = cl.Name, cl.ID()
		c.policy = acc.policies[cl.Policy]
		if c.policy == nil {
			return nil, &policy.Denied{Status: 403, Code: "no_policy", Msg: "the client's policy is not configured"}
		}
		acc.touch(cl.Name, time.Now())
	case origin != "" && acc.public[origin] != nil:
		c.policy = acc.public[origin]
	default:
		return nil, &policy.Denied{Status: 401, Code: "missing_client_key", Msg: "send a client key as Authorization: Bearer cza_... or X-API-Key"}
	}
	if origin != "" {
		if !c.policy.AllowsOrigin(origin) {
			return nil, &policy.Denied{Status: 403, Code: "origin_not_allowed", Msg: "requests from this browser origin are not allowed by the policy"}
		}
		c.origin = origin
	}
	if c.policy.Mode() == policy.SessionCookie {
		c.visitor = s.visitorSession(w, r, acc)
	}
	if d := limit(acc.perIP[c.policy.Name], c.ip, "this address"); d != nil {
		return nil, d
	}
	perKey := c.client
	if perKey == "" {
		perKey = c.visitor
	}
	if d := limit(acc.perKey[c.policy.Name], perKey, "this client"); d != nil {
		return nil, d
	}
	return c, nil
}

func limit(l *policy.Limiter, key, who string) *policy.Denied {
	if l == nil || key == "" {
		return nil
	}
	if ok, wait := l.Allow(key); !ok {
		return &policy.Denied{Status: 429, Code: "rate_limited", Msg: "too many requests from " + who + "; retry after " + wait.Round(time.Second).String(),
			RetryAfter: wait}
	}
	return nil
}

// presentedKey reads a client key from Authorization: Bearer or X-API-Key.
func presentedKey(r *http.Request) (string, bool) {
	if k := r.Header.Get("X-API-Key"); k != "" {
		return k, true
	}
	if a := r.Header.Get("Authorization"); a != "" {
		if k, ok := strings.CutPrefix(a, "Bearer "); ok {
			return strings.TrimSpace(k), true
		}
		return "", true // some other scheme: refused as an invalid key
	}
	return "", false
}

// clientIP is the peer address, or with trustProxy the nearest address a
// trusted proxy recorded in X-Forwarded-For.
func clientIP(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if xff := r.Header.Get("X-Forwarded-For"); xff != "" {
			parts := strings.Split(xff, ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
