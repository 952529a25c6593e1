package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/memtune"
	"github.com/cozeauth/cozeauth/server"
)

type serveFlags struct {
	config        string
	listen        string
	demo          bool
	logLevel      string
	logJSON       bool
	grace         time.Duration
	open          bool
	audit         string
	access        string
	metricsListen string
	watch         time.Duration
	pprof         string
	dataDir       string
	storeKey      string
	tls           config.TLS // --tls-cert, --tls-key, --tls-client-ca
}

func newServe() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve Coze access tokens over HTTP",
		Long: `Serve Coze access tokens over HTTP.

Configuration comes from --config FILE (YAML), $COZEAUTH_CONFIG, ./cozeauth.yaml,
or environment variables (CLIENT_ID, KID, PRIVATE_KEY, ... as the Cloudflare
Worker used them, or the official SDKs' COZE_* names). With --demo it needs
none: a built-in Coze emulator stands in for Coze.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, cmd, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.config, "config", "c", "", "YAML config file")
	fl.StringVar(&f.listen, "listen", "", "address to listen on (default "+config.DefaultListen+")")
	fl.BoolVar(&f.demo, "demo", false, "run offline against a built-in Coze emulator with a fresh key pair")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.BoolVar(&f.logJSON, "log-json", false, "log JSON lines instead of text")
	fl.DurationVar(&f.grace, "shutdown-grace", 10*time.Second, "time given to requests in progress on shutdown")
	fl.BoolVar(&f.open, "insecure-open-access", false, "with no clients or policies configured, hand tokens to ANYONE who can reach a non-loopback address")
	fl.StringVar(&f.pprof, "pprof", "", "serve Go's profiler on this loopback address (e.g. 127.0.0.1:6060)")
	fl.DurationVar(&f.watch, "watch-interval", 2*time.Second, "how often to check the config and keys files for changes")
	fl.StringVar(&f.audit, "audit-log", "-", `where the audit log goes: "-" for stderr, a file path (reopened on SIGHUP), or "off"`)
	fl.StringVar(&f.access, "access-log", "off", `where the access log (one line per request) goes: "-" for stderr, a file path (reopened on SIGHUP), or "off"`)
	fl.StringVar(&f.metricsListen, "metrics-listen", "", "serve /metrics on this separate address, to anyone who reaches it (default: metrics_listen in the config; else /metrics on --listen, for local callers and admin clients)")
	fl.StringVar(&f.dataDir, "data-dir", "", "directory for the grant store of web, PKCE and device apps (default: data_dir in the config, else "+defaultDataDir+")")
	addTLSFlags(fl, &f.tls)
	fl.StringVar(&f.storeKey, "store-key-file", "", "file holding the grant store's key (default: store_key_file in the config, else $"+grant.EnvStoreKey+")")
	return cmd
}

func runServe(ctx context.Context, cmd *cobra.Command, f serveFlags) error {
	// SIGHUP's default action ends the process: take it over first, so a
	// process manager's "reload" never stops the service.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log, err := newLogger(cmd.ErrOrStderr(), f.logLevel, f.logJSON)
	if err != nil {
		return err
	}
	var cfg *config.Config
	var demoApps *demo
	if f.demo {
		d, err := startDemo(ctx, log, f.dataDir)
		if err != nil {
			return err
		}
		defer d.Close()
		cfg, demoApps = d.cfg, d
	} else if cfg, err = config.Load(config.Options{File: f.config}); err != nil {
		return err
	}
	if f.listen != "" {
		cfg.Listen = f.listen
	}
	if err := applyTLSFlags(cfg, f); err != nil {
		return err
	}
	if f.metricsListen != "" {
		cfg.MetricsListen = f.metricsListen
	}
	if err := checkServe(cfg, f); err != nil {
		return err
	}
	if f.pprof != "" {
		if err := startPprof(f.pprof, log); err != nil {
			return err
		}
	}
	if cfg.Access.Open() && !loopbackOnly(cfg.Listen) && len(cfg.Access.AllowedHosts) == 0 {
		log.Warn("open mode answers only requests addressed to localhost or a loopback address; list the host names clients use under allowed_hosts (or COZEAUTH_ALLOWED_HOSTS)", "listen", cfg.Listen)
	}
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	go memtune.Run(ctx)
	tlsConf, scheme, err := serverTLS(cfg, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (pick another with --listen)", cfg.Listen, err)
	}
	if demoApps != nil {
		// Web and PKCE logins come back to this server: their redirect
		// URI is known once it listens.
		demoApps.addLoginApps(scheme + "://" + ln.Addr().String())
	}
	met := newMeter()
	auditLog, closeAudit, err := openLog(cmd.ErrOrStderr(), f.audit, "audit", f.logJSON, log, met)
	if err != nil {
		return err
	}
	defer closeAudit()
	accessLog, closeAccess, err := openLog(cmd.ErrOrStderr(), f.access, "access", f.logJSON, log, met)
	if err != nil {
		return err
	}
	defer closeAccess()
	rs, err := openShared(ctx, cfg, f, log, met)
	if err != nil {
		return err
	}
	var store grant.Store // stays a nil interface without a store
	if rs != nil {
		defer rs.Close()
		store = sharedGrants(rs, cfg)
	} else {
		grants, err := openGrants(cfg, f)
		if err != nil {
			return err
		}
		if grants != nil {
			defer grants.Close()
			store = grants
		}
	}
	client := newClient()
	newSource, err := sources(cfg, client, store)
	if err != nil {
		return err
	}
	b := newBroker(cfg, newSource, met, rs)
	defer b.Close()
	so := server.Options{Log: log, Audit: auditLog, NewSource: newSource, Grants: store, Client: client,
		LoginReturnTo: cfg.LoginReturnTo, Meter: met, AccessLog: accessLog, DemoChat: f.demo, TLS: tlsConf}
	if cfg.MetricsListen == "" {
		so.Metrics = met.Handler()
	}
	if rs != nil {
		so.Replicas, so.SharedLimits, so.Logins = rs, rs.Limits(), rs.Logins()
		rs.OnRevoke(func(ids []string) {
			for _, id := range ids {
				b.DropOwner(id)
			}
		})
		if !cmd.Flags().Changed("watch-interval") {
			f.watch = sharedWatchInterval
		}
	}
	srv, err := server.New(cfg, b, so)
	if err != nil {
		return err
	}
	watch(met, b, srv)
	if cfg.MetricsListen != "" {
		addr, err := serveMetrics(ctx, cfg.MetricsListen, met, log)
		if err != nil {
			return err
		}
		log.Info("metrics", "addr", "http://"+addr+server.MetricsPath)
	}
	if cfg.Access.Open() {
		log.Warn("open mode: no clients or policies are configured, anyone who can connect gets a token", "listen", cfg.Listen)
	}
	// The reloader stops with Serve, and has saved the keys' last-use
	// times before runServe returns.
	rctx, stopReloads := context.WithCancel(ctx)
	reloads := make(chan struct{})
	go func() {
		defer close(reloads)
		rl := newReloader(cfg, f, srv, log)
		if rs != nil {
			rl.shareWith(rs)
		}
		rl.run(rctx, hup, f.watch)
	}()
	defer func() { stopReloads(); <-reloads }()
	for _, a := range cfg.Apps {
		switch {
		case a.JWT != nil:
			log.Info("app", "name", a.Name, "kind", a.Kind, "region", a.Region, "api_base", a.APIBase, "client_id", a.ClientID, "key_bits", a.JWT.Key.N.BitLen())
		default:
			log.Info("app", "name", a.Name, "kind", a.Kind, "region", a.Region, "api_base", a.APIBase, "client_id", a.ClientID)
		}
	}
	addr := ln.Addr().String()
	log.Info("serving", "addr", scheme+"://"+addr, "config", cfg.Source)
	fmt.Fprintf(cmd.OutOrStdout(), "cozeauth listening on %s://%s\n", scheme, addr)
	if f.demo {
		fmt.Fprintf(cmd.OutOrStdout(), "\nDemo mode: tokens come from a built-in Coze emulator. Get one:\n\n  curl -s -X POST -H 'X-User-ID: alice' http://%[1]s/token\n\n"+
			"or call the (emulated) Coze API through the gateway, token injected:\n\n  curl -s -H 'X-User-ID: alice' http://%[1]s/v1/users/me\n\n"+
			"or chat in a browser, with tokens refreshed by /client.js:\n\n  http://%[1]s%[2]s\n\n", addr, server.DemoChatPath)
	}
	err = srv.Serve(ctx, ln, f.grace)
	log.Info("stopped")
	return shutdownError(err, f.grace)
}

// checkServe refuses a configuration serve must not run with, at start-up
// and on every reload: open mode on an address others can reach, unless
// --insecure-open-access.
func checkServe(cfg *config.Config, f serveFlags) error {
	if cfg.Access.Open() && !f.open && !loopbackOnly(cfg.Listen) {
		return fmt.Errorf("refusing to listen on %s with no clients or policies: anyone reaching it would get Coze tokens. Configure policies and client keys (README: \"Who may get a token\"), listen on 127.0.0.1, or pass --insecure-open-access if this is really what you want", cfg.Listen)
	}
	return nil
}

func newLogger(w interface{ Write([]byte) (int, error) }, level string, asJSON bool) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	if asJSON {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}
