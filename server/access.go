package server

import (
	"crypto/rand"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// limiterKeys bounds each rate limiter's memory.
const limiterKeys = 100_000

// access is one immutable generation of the server: the whole
// configuration, who may get what, and where the gateway forwards each
// app. A reload swaps it whole with one atomic store, so a request that
// loads it once sees one consistent configuration.
type access struct {
	cfg        *config.Config
	open       bool
	keys       *policy.Keys
	clients    map[string]*policy.Client // by ID
	policies   map[string]*policy.Policy
	public     map[string]*policy.Policy // by origin
	origins    map[string]bool           // allowed by any policy, for preflight
	perKey     map[string]*ratelimit.Limiter
	perIP      map[string]*ratelimit.Limiter
	cookie     config.Cookie
	trustProxy bool
	lastUsed   map[string]*atomic.Int64 // client name -> unix seconds
	fixed      []string                 // session values of fixed-session policies: no trust caller may take them
	lastHost   atomic.Pointer[string]   // the last Host header found known (knownHost), checked first

	targets   map[string]*url.URL      // app -> API base
	wsTargets map[string]*url.URL      // app -> WebSocket base
	sources   map[string]broker.Source // app -> the Source the broker mints with; nil without Options.NewSource
}

// newAccess builds the generation for cfg, keeping from prev what must
// survive a reload: the random cookie secret, rate limiter buckets and
// last-use times.
func newAccess(cfg *config.Config, prev *access, shared ratelimit.Backend) (*access, error) {
	a := cfg.Access
	keys, err := policy.NewKeys(a.Clients)
	if err != nil {
		return nil, err
	}
	acc := &access{cfg: cfg, open: a.Open(), keys: keys, clients: map[string]*policy.Client{}, policies: map[string]*policy.Policy{}, public: map[string]*policy.Policy{},
		origins: map[string]bool{}, perKey: map[string]*ratelimit.Limiter{}, perIP: map[string]*ratelimit.Limiter{},
		cookie: a.Cookie, trustProxy: a.TrustProxy, lastUsed: map[string]*atomic.Int64{}}
	if acc.targets, acc.wsTargets, err = gatewayTargets(cfg); err != nil {
		return nil, err
	}
	if len(acc.cookie.Secret) == 0 {
		if prev != nil {
			acc.cookie.Secret = prev.cookie.Secret // keep visitors' sessions across reloads
		} else {
			acc.cookie.Secret = make([]byte, 32)
			rand.Read(acc.cookie.Secret)
		}
	}
	for i := range a.Policies {
		p := &a.Policies[i]
		acc.policies[p.Name] = p
		for _, o := range p.Origins {
			acc.origins[o] = true
			if p.Public {
				acc.public[o] = p
			}
		}
		if p.Mode() == policy.SessionFixed {
			acc.fixed = append(acc.fixed, p.SessionValue)
		}
		acc.perKey[p.Name] = keepLimiter(prev, p, true, shared)
		acc.perIP[p.Name] = keepLimiter(prev, p, false, shared)
	}
	for i := range a.Clients {
		c := &a.Clients[i]
		acc.clients[c.ID()] = c
		acc.lastUsed[c.Name] = &atomic.Int64{}
		if prev != nil && prev.lastUsed[c.Name] != nil {
			acc.lastUsed[c.Name].Store(prev.lastUsed[c.Name].Load())
		}
	}
	return acc, nil
}

// keepLimiter reuses the previous generation's buckets when the rate did
// not change, so a reload does not hand every caller a fresh burst.
// With shared (Options.SharedLimits), the buckets are held there for all
// replicas, named by policy.
func keepLimiter(prev *access, p *policy.Policy, perKey bool, shared ratelimit.Backend) *ratelimit.Limiter {
	rate := p.PerIP
	if perKey {
		rate = p.PerKey
	}
	if rate.Unlimited() {
		return nil
	}
	if prev != nil {
		if old := prev.policies[p.Name]; old != nil {
			same := old.PerIP == p.PerIP
			m := prev.perIP
			if perKey {
				same, m = old.PerKey == p.PerKey, prev.perKey
			}
			if same && m[p.Name] != nil {
				return m[p.Name]
			}
		}
	}
	prefix := "ip:" + p.Name + ":"
	if perKey {
		prefix = "key:" + p.Name + ":"
	}
	return ratelimit.New(rate, limiterKeys).Share(shared, prefix)
}

func (a *access) touch(client string, now time.Time) {
	if c := a.lastUsed[client]; c != nil {
		c.Store(now.Unix())
	}
}

// LastUsed reports when each client key was last used (zero: not since
// start).
func (s *Server) LastUsed() map[string]time.Time {
	out := map[string]time.Time{}
	for name, v := range s.access.Load().lastUsed {
		if u := v.Load(); u != 0 {
			out[name] = time.Unix(u, 0)
		}
	}
	return out
}
