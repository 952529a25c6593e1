package main

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/ratelimit"
	"github.com/cozeauth/cozeauth/replica"
)

// sharedWatchInterval is how often the config and keys files are checked
// when replicas share a store: an edited keys file must take effect
// everywhere within a second (the first replica to see it tells the
// others).
const sharedWatchInterval = 250 * time.Millisecond

// openShared connects to the store shared by replicas (config `store:`
// or $COZEAUTH_STORE); nil without one. Its values are sealed with the
// grant store's key, which every replica must share.
func openShared(ctx context.Context, cfg *config.Config, f serveFlags, log *slog.Logger, m meter.Meter) (*replica.Store, error) {
	if cfg.Store == "" {
		return nil, nil
	}
	kr, warning, err := grant.LoadKeyring(os.Getenv, cmp.Or(f.storeKey, cfg.StoreKeyFile))
	if err != nil {
		return nil, fmt.Errorf("store %s: replicas seal what they share with the store key, the same on every replica: %w", replica.Redact(cfg.Store), err)
	}
	if warning != "" {
		log.Warn(warning)
	}
	rs, err := replica.Open(ctx, replica.Options{URL: cfg.Store, Keyring: kr, Log: log, Observe: m.Redis})
	if err != nil {
		return nil, err
	}
	log.Info("sharing state with other replicas", "store", replica.Redact(cfg.Store), "degraded", rs.Degraded())
	return rs, nil
}

// sharedBroker is what the broker takes from the shared store.
func sharedBroker(rs *replica.Store) (broker.Shared, ratelimit.Backend) {
	if rs == nil {
		return nil, nil
	}
	return rs.Tokens(), rs.Limits()
}

// sharedGrants is the grant store in Redis when replicas share one.
func sharedGrants(rs *replica.Store, cfg *config.Config) grant.Store {
	for _, a := range cfg.Apps {
		if a.Kind.UserDelegated() {
			return rs.Grants()
		}
	}
	return nil
}

// revokeShared tells every replica sharing the store of cfg (config
// `store:` or $COZEAUTH_STORE) that the clients of ids are revoked: they
// refuse their keys within a second, whatever their keys files say.
func revokeShared(ctx context.Context, cfg *config.Config, ids []string) (bool, error) {
	url := cmp.Or(os.Getenv(config.EnvStore), cfg.Store)
	if url == "" || len(ids) == 0 {
		return false, nil
	}
	rs, err := replica.Open(ctx, replica.Options{URL: url, Timeout: 5 * time.Second})
	if err != nil {
		return true, err
	}
	defer rs.Close()
	return true, rs.RevokeContext(ctx, ids)
}
