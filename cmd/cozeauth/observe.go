package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/internal/logwriter"
	"github.com/cozeauth/cozeauth/meter/prom"
	"github.com/cozeauth/cozeauth/server"
)

// openLog opens the destination of a line log (the audit log, the access
// log): "off" or "" for none, "-" for stderr, else a file (appended,
// mode 0600, reopened on SIGHUP so that logrotate can move it away).
// Lines are queued and written off the request path (package logwriter);
// dropped lines are counted on m. The returned func flushes and closes.
func openLog(stderr io.Writer, dest, name string, asJSON bool, log *slog.Logger, m *prom.Meter) (*slog.Logger, func(), error) {
	var dst io.Writer
	var open func() (io.WriteCloser, error)
	switch dest {
	case "off", "":
		return nil, func() {}, nil
	case "-":
		dst = stderr
	default:
		open = func() (io.WriteCloser, error) {
			return os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		}
		f, err := open()
		if err != nil {
			return nil, nil, fmt.Errorf("--%s-log %s: %w", name, dest, err)
		}
		dst = f
	}
	o := logwriter.Options{Open: open, ErrorLog: log, Name: name}
	if m != nil {
		o.OnDrop = m.AuditDropped
	}
	w := logwriter.New(dst, o)
	stopHUP := func() {}
	if open != nil {
		hup := make(chan os.Signal, 1)
		signal.Notify(hup, syscall.SIGHUP)
		stop := make(chan struct{})
		done := make(chan struct{})
		go func() {
			defer close(done)
			for {
				select {
				case <-hup:
					if err := w.Reopen(); err != nil {
						log.Error("reopening the "+name+" log failed; lines go to the old file", "file", dest, "err", err)
					} else {
						log.Info("reopened the "+name+" log", "file", dest)
					}
				case <-stop:
					return
				}
			}
		}()
		stopHUP = func() { signal.Stop(hup); close(stop); <-done }
	}
	h := logwriter.NewHandler(w, asJSON)
	closeAll := func() {
		stopHUP()
		w.Close()
		if c, ok := w.Destination().(io.Closer); ok && open != nil {
			c.Close()
		}
	}
	return slog.New(h).With("log", name), closeAll, nil
}

// newMeter is serve's Prometheus meter, with the cache's gauges.
func newMeter() *prom.Meter { return prom.New() }

// watch adds the gauges read at scrape time from b and srv.
func watch(m *prom.Meter, b *broker.Broker, srv *server.Server) {
	m.WatchCache(func() (int, int64) {
		st := b.Stats()
		return st.Entries, st.Bytes
	})
	m.WatchGrants(srv.GrantCounts)
}

// serveMetrics serves /metrics alone on addr (--metrics-listen) until ctx
// is done: to anyone who can reach addr.
func serveMetrics(ctx context.Context, addr string, m *prom.Meter, log *slog.Logger) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("metrics listen on %s: %w (pick another with --metrics-listen)", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET "+server.MetricsPath, m.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, WriteTimeout: 30 * time.Second, MaxHeaderBytes: server.MaxHeaderBytes,
		ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
	go func() {
		if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("metrics listener stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
	}()
	a := ln.Addr().String()
	if !loopbackOnly(a) {
		log.Warn("metrics are served to anyone who can reach this address (no key is asked there); firewall it or use a loopback address", "metrics_listen", a)
	}
	return a, nil
}
