package server

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// caller is who is asking, after authentication.
type caller struct {
	client  string         // client name; "" when anonymous
	id      string         // client identity (policy.Client.ID()); "" when anonymous
	policy  *policy.Policy // nil in open mode
	ip      string
	origin  string      // allowed browser origin, "" when none
	visitor string      // verified visitor cookie id (public policies)
	cred    credSummary // what was presented as a key, never the key
	gen     *access     // the generation that admitted it: one request, one set of rules
}

// presented is what a request presented as a client key. It lives only
// while authenticating: a caller keeps its credSummary.
type presented struct {
	key    string // presented key ("" for a non-Bearer Authorization)
	header string // "Authorization" or "X-API-Key"; "" when none
}

func (c presented) present() bool { return c.header != "" }

// credSummary describes a presented credential without any of it.
type credSummary struct {
	header    string // "" when none was presented
	length    int
	czaPrefix bool // it looked like a cozeauth client key
}

func (c presented) summary() credSummary {
	return credSummary{header: c.header, length: len(c.key), czaPrefix: strings.HasPrefix(c.key, policy.KeyPrefix)}
}

// admit authenticates a token or gateway request into c and, for an
// allowed browser origin, answers with its CORS headers. On refusal it
// has written the error, audited it, and reports false with c filled as
// far as it was learnt (for metrics). (The caller provides c, so the token
// path keeps it on its stack.)
func (s *Server) admit(w http.ResponseWriter, r *http.Request, c *caller) bool {
	acc := s.access.Load()
	w.Header()["Vary"] = varyOrigin
	if denied := s.authenticate(w, r, acc, c); denied != nil {
		s.deny(w, r, c, denied)
		return false
	}
	if c.origin != "" {
		allowOrigin(w, c.origin)
	}
	return true
}

// authenticate finds the caller's policy from its key, or from its origin
// for public policies, and applies the rate limits. In open mode (nothing
// configured) everyone is let in with no policy, as the Worker did — but
// only when addressed to this machine and, from a browser, only from a
// page on this machine. On refusal the caller holds what was learnt so
// far, for the audit line.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request, acc *access, c *caller) *policy.Denied {
	*c = caller{ip: clientIP(r, acc.trustProxy), gen: acc}
	if d := s.checkHost(r, acc); d != nil {
		return d
	}
	cred, d := presentedCredential(r)
	if d != nil {
		return d
	}
	c.cred = cred.summary()
	origin := first(r.Header["Origin"]) // canonical keys: no canonicalizing on the hot path
	if acc.open {
		switch {
		case origin != "" && !loopbackOrigin(origin):
			return openOriginDenied
		case origin == "" && first(r.Header["Sec-Fetch-Site"]) == "cross-site":
			// An <img>, <script> or link on another site: a GET a browser
			// sends with no Origin, but says is cross-site.
			return openCrossSiteDenied
		}
		c.origin = origin
		return nil
	}
	hasKey := cred.present()
	if hasKey && acc.public[origin] != nil && !strings.HasPrefix(cred.key, policy.KeyPrefix) {
		// A browser SDK insists on sending some token: on a public origin a
		// placeholder that is not a client key counts as no key at all.
		// (Two credentials were refused above as ambiguous.)
		hasKey = false
		c.cred = credSummary{}
	}
	certClient, certHash := certCaller(r, acc, hasKey)
	switch {
	case hasKey || certClient != nil:
		cl, ok := certClient, certClient != nil
		if hasKey {
			cl, ok = acc.keys.Lookup(cred.key)
		}
		if !ok || s.revoked(cl) {
			return &policy.Denied{Status: 401, Code: "invalid_client_key", Msg: "the client key in the " + cred.header + " header is not valid (revoked, mistyped or from another server)"}
		}
		c.client, c.id = cl.Name, cl.ID()
		c.policy = acc.policies[cl.Policy]
		if c.policy == nil {
			return &policy.Denied{Status: 403, Code: "no_policy", Msg: "the client's policy is not configured"}
		}
		acc.touch(cl.Name, time.Now())
	case origin != "" && acc.public[origin] != nil:
		c.policy = acc.public[origin]
	case certHash != "":
		return unknownCertificate(certHash)
	default:
		return &policy.Denied{Status: 401, Code: "missing_client_key", Msg: "send a client key as Authorization: Bearer cza_... or X-API-Key"}
	}
	if origin != "" {
		if !c.policy.AllowsOrigin(origin) {
			return &policy.Denied{Status: 403, Code: "origin_not_allowed", Msg: "requests from this browser origin are not allowed by the policy"}
		}
		c.origin = origin
	}
	if c.policy.Mode() == policy.SessionCookie {
		c.visitor = s.visitorSession(w, r, acc, c.policy.Name, c.origin)
	}
	if d := limit(acc.perIP[c.policy.Name], c.ip, "this address"); d != nil {
		s.met.RateLimited(c.policy.Name, "rate_per_ip")
		return d
	}
	perKey := c.client
	if perKey == "" {
		perKey = c.visitor
	}
	if d := limit(acc.perKey[c.policy.Name], perKey, "this client"); d != nil {
		s.met.RateLimited(c.policy.Name, "rate_per_key")
		return d
	}
	return nil
}

func limit(l *ratelimit.Limiter, key, who string) *policy.Denied {
	if l == nil || key == "" {
		return nil
	}
	if ok, wait := l.Allow(key); !ok {
		return &policy.Denied{Status: 429, Code: "rate_limited", Msg: "too many requests from " + who + "; retry after " + wait.Round(time.Second).String(),
			RetryAfter: wait}
	}
	return nil
}

// presentedCredential reads a client key from Authorization: Bearer or
// X-API-Key (empty header lines count as absent). More than one is
// ambiguous — which one would decide who the caller is? — and refused.
func presentedCredential(r *http.Request) (presented, *policy.Denied) {
	// Canonical header names, read from the map: no allocation per request.
	auth, api := nonEmpty(r.Header["Authorization"]), nonEmpty(r.Header["X-Api-Key"])
	switch {
	case len(auth)+len(api) > 1:
		var which string
		switch {
		case len(auth) > 0 && len(api) > 0:
			which = "both Authorization and X-API-Key headers were sent"
		case len(auth) > 1:
			which = "the Authorization header was sent " + strconv.Itoa(len(auth)) + " times"
		default:
			which = "the X-API-Key header was sent " + strconv.Itoa(len(api)) + " times"
		}
		return presented{}, &policy.Denied{Status: http.StatusBadRequest, Code: "ambiguous_credentials",
			Msg: "two credentials in one request: " + which + "; send one client key, as Authorization: Bearer cza_... or as X-API-Key, once"}
	case len(api) == 1:
		return presented{key: strings.TrimSpace(api[0]), header: "X-API-Key"}, nil
	case len(auth) == 1:
		if k, ok := strings.CutPrefix(auth[0], "Bearer "); ok {
			return presented{key: strings.TrimSpace(k), header: "Authorization"}, nil
		}
		return presented{header: "Authorization"}, nil // some other scheme: refused as an invalid key
	}
	return presented{}, nil
}

func nonEmpty(vs []string) []string {
	if len(vs) == 1 && strings.TrimSpace(vs[0]) != "" {
		return vs
	}
	var out []string
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			out = append(out, v)
		}
	}
	return out
}

// first is a header's first value, as Header.Get gives it, from the
// values under its canonical key.
func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}
