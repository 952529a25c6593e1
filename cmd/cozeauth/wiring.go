package main

import (
	"cmp"
	"fmt"
	"os"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/version"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/ratelimit"
	"github.com/cozeauth/cozeauth/replica"
)

// sources checks that every app of cfg can have a Source and returns the
// function that builds one; the server calls it again on reload for apps
// whose credentials or endpoints changed.
func sources(cfg *config.Config, client *coze.Client, grants grant.Store) (func(*config.App) broker.Source, error) {
	d := credential.Deps{Client: client, Grants: grants}
	for i := range cfg.Apps {
		if _, err := credential.New(&cfg.Apps[i], d); err != nil {
			return nil, err
		}
	}
	return func(a *config.App) broker.Source {
		src, err := credential.New(a, d)
		if err != nil {
			return nil // the reload's own checks refuse such an app
		}
		return src
	}, nil
}

// openGrants opens the grant store when an app keeps users' grants (web,
// PKCE, device), and returns nil otherwise.
func openGrants(cfg *config.Config, f serveFlags) (*grant.FileStore, error) {
	needed := false
	for _, a := range cfg.Apps {
		needed = needed || a.Kind.UserDelegated()
	}
	if !needed {
		return nil, nil
	}
	s, err := openStore(cmp.Or(f.dataDir, cfg.DataDir, defaultDataDir), cmp.Or(f.storeKey, cfg.StoreKeyFile), os.Stderr)
	if err != nil {
		return nil, fmt.Errorf("the grant store of web, PKCE and device apps: %w", err)
	}
	return s, nil
}

// newBroker builds the broker with one Source per configured app.
// With rs (replicas sharing a store) it mints once across replicas and
// shares the mint rate.
func newBroker(cfg *config.Config, newSource func(*config.App) broker.Source, m meter.Meter, rs *replica.Store) *broker.Broker {
	srcs := make(map[string]broker.Source, len(cfg.Apps))
	rates := map[string]ratelimit.Rate{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		if src := newSource(a); src != nil {
			srcs[a.Name] = src
		}
		if !a.MintRate.Unlimited() {
			rates[a.Name] = a.MintRate
		}
	}
	shared, limits := sharedBroker(rs)
	return broker.New(srcs, broker.Options{MaxEntries: cfg.Cache.MaxEntries, MaxBytes: cfg.Cache.MaxBytes, Skew: cfg.Cache.Skew, MintRate: rates,
		Shared: shared, SharedLimits: limits, Meter: m})
}

func newClient() *coze.Client {
	return &coze.Client{UserAgent: "cozeauth/" + version.Get().Short()}
}
