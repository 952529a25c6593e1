package server

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// ErrWouldOpen refuses a reload that would turn a server that requires
// client keys or policies into one that hands tokens to anyone.
var ErrWouldOpen = errors.New("the new configuration has no policies and no clients, which would hand tokens to anyone who can connect (open mode); a reload never opens a closed server, so the previous rules stay. If open mode is really meant, restart cozeauth with that configuration")

// Reload swaps in cfg whole — apps, policies, clients, cookie and proxy
// settings — as one generation: requests in flight finish under the old
// one, later requests see only the new one. It refuses, changing
// nothing, a cfg that would turn a closed server open (ErrWouldOpen), one
// that changes what only a restart can (listen address, gateway prefix,
// cache size or skew), one whose clients are inconsistent, and — when the
// server was built without Options.NewSource — one that adds, removes or
// re-keys an app. When it
// applies cfg, an app whose credentials or endpoints changed mints with a
// new Source and loses its cached tokens (with Options.NewSource), every
// other app keeps them, and the tokens cached for a client that is gone
// (by policy.Client.ID) are dropped at once. Each reload, applied or
// refused, is logged (WARN with what changed, or ERROR) and audited.
func (s *Server) Reload(cfg *config.Config) error { return s.ReloadBecause("", cfg) }

// ReloadBecause is Reload recording why it happened ("SIGHUP", "file
// changed") in the log and audit lines.
func (s *Server) ReloadBecause(why string, cfg *config.Config) error {
	s.reloadMu.Lock()
	defer s.reloadMu.Unlock()
	prev := s.access.Load()
	next, err := s.nextGeneration(prev, cfg)
	if err != nil {
		s.ReloadRefused(why, err)
		return err
	}
	d := diffGenerations(prev, next)
	dropped := 0
	if s.newSource != nil {
		next.sources = s.sourcesFor(cfg, prev)
		dropped += s.broker.Replace(next.sources, mintRates(cfg))
	}
	s.access.Store(next)
	for _, id := range d.revoked {
		dropped += s.broker.DropOwner(id)
	}
	s.shareRevocations(d.revoked)
	level, msg := slog.LevelWarn, "reloaded configuration"
	if d.empty() {
		level, msg = slog.LevelInfo, "reloaded configuration: nothing changed"
	}
	s.log.LogAttrs(nil, level, msg, slog.String("why", why),
		slog.Any("clients_added", d.clientsAdded), slog.Any("clients_removed", d.clientsRemoved),
		slog.Any("policies_added", d.policiesAdded), slog.Any("policies_removed", d.policiesRemoved), slog.Any("policies_changed", d.policiesChanged),
		slog.Any("apps_added", d.appsAdded), slog.Any("apps_removed", d.appsRemoved), slog.Any("apps_changed", d.appsChanged),
		slog.Int("tokens_dropped", dropped), slog.Int("clients", len(cfg.Access.Clients)), slog.Int("policies", len(cfg.Access.Policies)))
	s.met.Reload("applied")
	if s.auditLog != nil {
		s.auditLog.LogAttrs(nil, slog.LevelInfo, "reload", slog.String("why", why), slog.String("result", "applied"),
			slog.Any("clients_added", d.clientsAdded), slog.Any("clients_removed", d.clientsRemoved),
			slog.Any("policies_changed", d.policiesAll()), slog.Any("apps_changed", d.appsAll()))
	}
	return nil
}

// ReloadRefused logs at ERROR and audits a reload that was refused —
// by Reload, or before it (the file did not load or failed a start-up
// check): the previous configuration stays in force.
func (s *Server) ReloadRefused(why string, err error) {
	s.log.Error("reload refused; the previous configuration stays in force", "why", why, "err", err)
	s.met.Reload("refused")
	if s.auditLog != nil {
		s.auditLog.LogAttrs(nil, slog.LevelWarn, "reload", slog.String("why", why), slog.String("result", "refused"), slog.String("error", err.Error()))
	}
}

// nextGeneration checks cfg against the generation in force and builds
// the next one.
func (s *Server) nextGeneration(prev *access, cfg *config.Config) (*access, error) {
	if cfg == nil {
		return nil, errors.New("no configuration")
	}
	if err := restartOnly(prev.cfg, cfg); err != nil {
		return nil, err
	}
	if !prev.open && cfg.Access.Open() {
		return nil, ErrWouldOpen
	}
	if s.newSource == nil {
		if err := sameMinters(prev.cfg, cfg); err != nil {
			return nil, err
		}
	}
	return newAccess(cfg, prev, s.sharedLimits)
}

// sameMinters refuses app changes that the broker would not see: without
// Options.NewSource the server cannot give it new Sources.
func sameMinters(old, cfg *config.Config) error {
	was, now := appsByName(old), appsByName(cfg)
	if len(was) != len(now) {
		return errors.New("apps were added or removed, which this server cannot apply live: restart it (nothing was reloaded)")
	}
	for name, a := range now {
		if o := was[name]; o == nil || !sameMinter(o, a) {
			return fmt.Errorf("app %q was added or its credentials or endpoints changed, which this server cannot apply live: restart it (nothing was reloaded)", name)
		}
	}
	return nil
}

// restartOnly refuses changes to what is fixed while serving: the
// listener, the gateway's routes and the cache's shape.
func restartOnly(old, cfg *config.Config) error {
	for _, f := range []struct {
		field    string
		was, now any
	}{
		{"listen", old.Listen, cfg.Listen},
		{"metrics_listen", old.MetricsListen, cfg.MetricsListen},
		{"gateway_prefix", old.GatewayPrefix, cfg.GatewayPrefix},
		{"cache.max_entries", old.Cache.MaxEntries, cfg.Cache.MaxEntries},
		{"cache.max_bytes", old.Cache.MaxBytes, cfg.Cache.MaxBytes},
		{"cache.skew", old.Cache.Skew, cfg.Cache.Skew},
		{"gateway", old.Gateway, cfg.Gateway},
		{"tls", old.TLS, cfg.TLS},
		{"data_dir", old.DataDir, cfg.DataDir},
		{"store_key_file", old.StoreKeyFile, cfg.StoreKeyFile},
		{"login.return_to", fmt.Sprint(old.LoginReturnTo), fmt.Sprint(cfg.LoginReturnTo)},
	} {
		if f.was != f.now {
			return fmt.Errorf("%s changed from %v to %v, which a running server cannot apply: restart cozeauth to use it (nothing was reloaded)", f.field, f.was, f.now)
		}
	}
	return nil
}

// sourcesFor is one Source per app of cfg: prev's value for an app that
// mints exactly as before (so the broker keeps its tokens), a new one for
// an app that is new or changed.
func (s *Server) sourcesFor(cfg *config.Config, prev *access) map[string]broker.Source {
	out := make(map[string]broker.Source, len(cfg.Apps))
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		if prev != nil && prev.sources[a.Name] != nil {
			if old, ok := prev.cfg.App(a.Name); ok && sameMinter(old, a) {
				out[a.Name] = prev.sources[a.Name]
				continue
			}
		}
		out[a.Name] = s.newSource(a)
	}
	return out
}

// mintRates is each app's cap on upstream mints, for the broker.
func mintRates(cfg *config.Config) map[string]ratelimit.Rate {
	rates := map[string]ratelimit.Rate{}
	for _, a := range cfg.Apps {
		if !a.MintRate.Unlimited() {
			rates[a.Name] = a.MintRate
		}
	}
	return rates
}

// sameMinter reports whether a and b mint identical tokens: same kind,
// identity, endpoints and the same credentials of that kind (key,
// token, client secret, redirect URI, …). (The mint rate is not part of
// it: the broker applies a new rate without dropping tokens.)
func sameMinter(a, b *config.App) bool {
	return a.Kind == b.Kind && a.ClientID == b.ClientID && a.Audience == b.Audience && a.TokenURL() == b.TokenURL() &&
		a.APIBase == b.APIBase && a.WWWBase == b.WWWBase && a.WSBase == b.WSBase && a.AccountID == b.AccountID &&
		a.EnterpriseID == b.EnterpriseID &&
		same(a.JWT, b.JWT, func(x, y *config.JWTApp) bool {
			return x.KeyID == y.KeyID && x.AssertionTTL == y.AssertionTTL && sameKey(x, y)
		}) &&
		same(a.PAT, b.PAT, func(x, y *config.PATApp) bool { return x.Token == y.Token }) &&
		same(a.Web, b.Web, func(x, y *config.WebApp) bool {
			return x.ClientSecret == y.ClientSecret && x.RedirectURI == y.RedirectURI
		}) &&
		same(a.PKCE, b.PKCE, func(x, y *config.PKCEApp) bool { return *x == *y }) &&
		same(a.Device, b.Device, func(x, y *config.DeviceApp) bool { return *x == *y })
}

// same compares two optional kind sub-structs: both nil, or both set and
// eq.
func same[T any](a, b *T, eq func(x, y *T) bool) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return eq(a, b)
}

func sameKey(a, b *config.JWTApp) bool {
	if a.Key == nil || b.Key == nil {
		return a.Key == b.Key
	}
	return a.Key.Equal(b.Key)
}

// appChanged reports any difference between two versions of an app.
func appChanged(a, b *config.App) bool {
	if !sameMinter(a, b) {
		return true
	}
	x, y := *a, *b
	if a.JWT != nil && b.JWT != nil { // keys compared by value in sameMinter
		jx, jy := *a.JWT, *b.JWT
		jx.Key, jy.Key = nil, nil
		x.JWT, y.JWT = &jx, &jy
	}
	return !reflect.DeepEqual(x, y)
}

// reloadDiff is what a reload changed, by name.
type reloadDiff struct {
	clientsAdded, clientsRemoved                    []string
	revoked                                         []string // IDs of clients gone
	policiesAdded, policiesRemoved, policiesChanged []string
	appsAdded, appsRemoved, appsChanged             []string
}

func (d *reloadDiff) empty() bool {
	return len(d.clientsAdded)+len(d.clientsRemoved)+len(d.policiesAll())+len(d.appsAll()) == 0
}

func (d *reloadDiff) policiesAll() []string {
	return sortedUnion(d.policiesAdded, d.policiesRemoved, d.policiesChanged)
}

func (d *reloadDiff) appsAll() []string {
	return sortedUnion(d.appsAdded, d.appsRemoved, d.appsChanged)
}

func sortedUnion(lists ...[]string) []string {
	out := []string{}
	for _, l := range lists {
		out = append(out, l...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// diffGenerations names the clients (by identity: a client whose key
// changed was removed and added), policies and apps that differ.
func diffGenerations(prev, next *access) *reloadDiff {
	d := &reloadDiff{}
	for _, id := range slices.Sorted(maps.Keys(prev.clients)) {
		if next.clients[id] == nil {
			d.revoked = append(d.revoked, id)
			d.clientsRemoved = append(d.clientsRemoved, prev.clients[id].Name)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(next.clients)) {
		if prev.clients[id] == nil {
			d.clientsAdded = append(d.clientsAdded, next.clients[id].Name)
		}
	}
	d.policiesAdded, d.policiesRemoved, d.policiesChanged = diffNamed(prev.policies, next.policies,
		func(a, b *policy.Policy) bool { return !reflect.DeepEqual(*a, *b) })
	oldApps, newApps := appsByName(prev.cfg), appsByName(next.cfg)
	d.appsAdded, d.appsRemoved, d.appsChanged = diffNamed(oldApps, newApps, appChanged)
	return d
}

func appsByName(cfg *config.Config) map[string]*config.App {
	m := make(map[string]*config.App, len(cfg.Apps))
	for i := range cfg.Apps {
		m[cfg.Apps[i].Name] = &cfg.Apps[i]
	}
	return m
}

// diffNamed compares two sets by name.
func diffNamed[T any](old, cur map[string]*T, changed func(a, b *T) bool) (added, removed, diff []string) {
	for _, name := range slices.Sorted(maps.Keys(cur)) {
		switch o := old[name]; {
		case o == nil:
			added = append(added, name)
		case changed(o, cur[name]):
			diff = append(diff, name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(old)) {
		if cur[name] == nil {
			removed = append(removed, name)
		}
	}
	return added, removed, diff
}
