package config

import "time"

// Gateway bounds the API gateway's resources. Zero fields take the
// server's defaults (see server.Options).
type Gateway struct {
	// IdleTimeout cuts a gateway request when no byte moves for this long:
	// the caller's upload, the answer to the caller, or Coze's answer.
	IdleTimeout time.Duration
	// MaxConcurrent caps gateway requests in flight (503 beyond).
	MaxConcurrent int
	// MaxPerClient caps one client key's (or widget visitor's) requests in
	// flight (429 beyond).
	MaxPerClient int
	// MaxPerIP caps the requests in flight of one address among a
	// policy's callers without a client key, i.e. public widget visitors
	// (429 beyond).
	MaxPerIP int
	// MaxUpstreamConns caps connections to each Coze host.
	MaxUpstreamConns int
}

// rawGateway is the YAML gateway section.
type rawGateway struct {
	IdleTimeout      string `yaml:"idle_timeout"`
	MaxConcurrent    int    `yaml:"max_concurrent"`
	MaxPerClient     int    `yaml:"max_per_client"`
	MaxPerIP         int    `yaml:"max_per_ip"`
	MaxUpstreamConns int    `yaml:"max_upstream_conns"`
}

func (r *rawGateway) resolve(e *errs) Gateway {
	g := Gateway{MaxConcurrent: r.MaxConcurrent, MaxPerClient: r.MaxPerClient, MaxPerIP: r.MaxPerIP, MaxUpstreamConns: r.MaxUpstreamConns}
	if r.IdleTimeout != "" {
		d, err := time.ParseDuration(r.IdleTimeout)
		if err != nil || d < time.Second || d > time.Hour {
			e.add("gateway.idle_timeout", "use a Go duration from 1s to 1h, e.g. 60s", "%q is not valid", r.IdleTimeout)
		}
		g.IdleTimeout = d
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"max_concurrent", g.MaxConcurrent}, {"max_per_client", g.MaxPerClient}, {"max_per_ip", g.MaxPerIP}, {"max_upstream_conns", g.MaxUpstreamConns}} {
		if f.v < 0 || f.v > 1_000_000 {
			e.add("gateway."+f.name, "use 1..1000000, or leave it out for the default", "%d is out of range", f.v)
		}
	}
	return g
}
