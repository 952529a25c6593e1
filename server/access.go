package server

import (
	"crypto/rand"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// limiterKeys bounds each rate limiter's memory.
const limiterKeys = 100_000

// access is one immutable generation of who may get what; a reload swaps
// it whole.
type access struct {
	open       bool
	keys       *policy.Keys
	policies   map[string]*policy.Policy
	public     map[string]*policy.Policy // by origin
	origins    map[string]bool           // allowed by any policy, for preflight
	perKey     map[string]*policy.Limiter
	perIP      map[string]*policy.Limiter
	cookie     config.Cookie
	trustProxy bool
	lastUsed   map[string]*atomic.Int64 // client name -> unix seconds
}

func newAccess(a config.Access, prev *access) (*access, error) {
	keys, err := policy.NewKeys(a.Clients)
	if err != nil {
		return nil, err
	}
	acc := &access{open: a.Open(), keys: keys, policies: map[string]*policy.Policy{}, public: map[string]*policy.Policy{},
		origins: map[string]bool{}, perKey: map[string]*policy.Limiter{}, perIP: map[string]*policy.Limiter{},
		cookie: a.Cookie, trustProxy: a.TrustProxy, lastUsed: map[string]*atomic.Int64{}}
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
		acc.perKey[p.Name] = keepLimiter(prev, p, true)
		acc.perIP[p.Name] = keepLimiter(prev, p, false)
	}
	for _, c := range a.Clients {
		acc.lastUsed[c.Name] = &atomic.Int64{}
		if prev != nil && prev.lastUsed[c.Name] != nil {
			acc.lastUsed[c.Name].Store(prev.lastUsed[c.Name].Load())
		}
	}
	return acc, nil
}

// keepLimiter reuses the previous generation's buckets when the rate did
// not change, so a reload does not hand every caller a fresh burst.
func keepLimiter(prev *access, p *policy.Policy, perKey bool) *policy.Limiter {
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
	return policy.NewLimiter(rate, limiterKeys)
}

func (a *access) touch(client string, now time.Time) {
	if c := a.lastUsed[client]; c != nil {
		c.Store(now.Unix())
	}
}

// Reload swaps in new policies and clients; requests in flight finish
// under the old ones. On error nothing changes.
func (s *Server) Reload(a config.Access) error {
	acc, err := newAccess(a, s.access.Load())
	if err != nil {
		return err
	}
	s.access.Store(acc)
	return nil
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
