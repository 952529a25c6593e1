package server

import (
	"cmp"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// Gateway defaults, for zero fields of config.Gateway.
const (
	DefaultGatewayIdle          = 60 * time.Second
	DefaultGatewayPerClient     = 64
	DefaultGatewayPerIP         = 32
	DefaultGatewayUpstream      = 256
	maxDefaultGatewayConcurrent = 1024
)

// gatewayLimits fills the zero fields of o, then of cfg, with the
// defaults. The overall cap defaults to min(1024, RLIMIT_NOFILE/4): each
// gateway request holds two descriptors (the caller's connection and
// Coze's), so at most half the process's descriptors go to the gateway
// and /healthz and /token keep theirs. Connections to each Coze host
// default to the overall cap: over HTTP/1.1 every streaming call needs
// its own, and a lower cap would queue calls while they hold the
// caller's connection.
func gatewayLimits(o, cfg config.Gateway) config.Gateway {
	g := config.Gateway{
		IdleTimeout:   cmp.Or(o.IdleTimeout, cfg.IdleTimeout, DefaultGatewayIdle),
		MaxConcurrent: cmp.Or(o.MaxConcurrent, cfg.MaxConcurrent, defaultMaxConcurrent()),
		MaxPerClient:  cmp.Or(o.MaxPerClient, cfg.MaxPerClient, DefaultGatewayPerClient),
		MaxPerIP:      cmp.Or(o.MaxPerIP, cfg.MaxPerIP, DefaultGatewayPerIP),
	}
	g.MaxUpstreamConns = cmp.Or(o.MaxUpstreamConns, cfg.MaxUpstreamConns, g.MaxConcurrent)
	return g
}

func defaultMaxConcurrent() int {
	n := openFileLimit() / 4
	if n <= 0 || n > maxDefaultGatewayConcurrent {
		return maxDefaultGatewayConcurrent
	}
	return max(n, 8)
}

// inflight counts gateway requests in progress, overall, per client and
// per address, and refuses one beyond a cap.
type inflight struct {
	max, perClient, perIP int
	total                 atomic.Int64
	mu                    sync.Mutex
	byKey                 map[string]int
}

func newInflight(g config.Gateway) *inflight {
	return &inflight{max: g.MaxConcurrent, perClient: g.MaxPerClient, perIP: g.MaxPerIP, byKey: map[string]int{}}
}

// acquire takes a slot for c, or explains the refusal: 503 when the
// gateway as a whole is full, 429 when this client (key or widget
// visitor) or, for a policy's callers without a key (public widgets),
// this address is. Keyed clients are bounded per key, not per address (a
// backend serves many users from one address); open mode, loopback only,
// has the overall cap alone. Each refusal carries a Retry-After. release
// must be called once the request is done.
func (l *inflight) acquire(c *caller) (release func(), d *policy.Denied) {
	if l.total.Add(1) > int64(l.max) {
		l.total.Add(-1)
		return nil, &policy.Denied{Status: http.StatusServiceUnavailable, Code: "gateway_busy", RetryAfter: time.Second,
			Msg: "the gateway is handling as many requests as it allows; retry shortly"}
	}
	var keys []string
	if c.client != "" {
		keys = append(keys, "client\x00"+c.client)
	} else if c.visitor != "" {
		keys = append(keys, "visitor\x00"+c.visitor)
	}
	if c.client == "" && c.policy != nil {
		keys = append(keys, "ip\x00"+c.ip)
	}
	l.mu.Lock()
	for _, k := range keys {
		limit, who := l.perClient, "this client"
		if k[0] == 'i' {
			limit, who = l.perIP, "this address"
		}
		if l.byKey[k] >= limit {
			l.mu.Unlock()
			l.total.Add(-1)
			return nil, &policy.Denied{Status: http.StatusTooManyRequests, Code: "too_many_concurrent", RetryAfter: time.Second,
				Msg: "too many gateway requests in progress from " + who + "; wait for one to finish"}
		}
	}
	for _, k := range keys {
		l.byKey[k]++
	}
	l.mu.Unlock()
	return func() {
		l.mu.Lock()
		for _, k := range keys {
			if l.byKey[k]--; l.byKey[k] <= 0 {
				delete(l.byKey, k)
			}
		}
		l.mu.Unlock()
		l.total.Add(-1)
	}, nil
}
