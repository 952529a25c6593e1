package main

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/server"
)

// reloader applies configuration changes to a running server: on SIGHUP
// and when the config or keys file changes (and has stopped changing). A
// configuration that does not load, fails serve's start-up checks, or that
// the server refuses (closed to open, restart-only fields) keeps the
// previous one, with an ERROR log line and an audit line.
type reloader struct {
	source string     // config file, or "environment" / "demo": nothing to reload
	flags  serveFlags // --listen and --insecure-open-access apply to every load
	srv    *server.Server
	log    *slog.Logger
	watch  fileWatch
	keys   string // keys file of the configuration in force
	// peers, when replicas share a store: told of each reload applied
	// here, and telling of theirs (peer), so all reload at once.
	peers interface{ Reloaded() }
	peer  chan struct{}
}

// sharedReloads is the part of a replica.Store the reloader uses.
type sharedReloads interface {
	Reloaded()
	OnReload(func())
}

// shareWith makes reloads travel between replicas through rs.
func (r *reloader) shareWith(rs sharedReloads) {
	r.peers, r.peer = rs, make(chan struct{}, 1)
	rs.OnReload(func() {
		select {
		case r.peer <- struct{}{}:
		default: // one pending is enough
		}
	})
}

func newReloader(cfg *config.Config, f serveFlags, srv *server.Server, log *slog.Logger) *reloader {
	r := &reloader{source: cfg.Source, flags: f, srv: srv, log: log, keys: cfg.Access.KeysFile}
	r.watch.files = r.files()
	r.watch.loaded()
	return r
}

// fromFile reports whether the configuration came from a file.
func (r *reloader) fromFile() bool { return r.source != "demo" && r.source != "environment" }

func (r *reloader) files() []string {
	if !r.fromFile() {
		return nil
	}
	return []string{r.source, r.keys}
}

// whyPeer is the reason of a reload another replica asked for.
const whyPeer = "another replica reloaded"

// reload loads the config file again and hands it to the server.
func (r *reloader) reload(why string) {
	if !r.fromFile() {
		r.log.Warn("nothing to reload: the configuration comes from "+r.source+", not a file; restart cozeauth to change it", "why", why)
		return
	}
	cfg, err := config.LoadFile(r.source)
	if err != nil {
		r.srv.ReloadRefused(why, err)
		return
	}
	if r.flags.metricsListen != "" {
		cfg.MetricsListen = r.flags.metricsListen
	}
	if r.flags.listen != "" {
		cfg.Listen = r.flags.listen
	}
	if err := applyTLSFlags(cfg, r.flags); err != nil {
		r.srv.ReloadRefused(why, err)
		return
	}
	if err := checkServe(cfg, r.flags); err != nil {
		r.srv.ReloadRefused(why, err)
		return
	}
	if err := r.srv.ReloadBecause(why, cfg); err != nil {
		return // logged and audited by the server
	}
	if r.peers != nil && why != whyPeer {
		r.peers.Reloaded()
	}
	for _, w := range cfg.Warnings {
		r.log.Warn(w)
	}
	if cfg.Access.KeysFile != r.keys {
		r.keys = cfg.Access.KeysFile
		r.watch.files = r.files()
		r.watch.loaded()
	}
}

// run serves reloads until ctx is done: on every signal from hup, and
// when the watched files changed and then stayed the same for one poll.
// It also records when client keys were last used, for `keys list`.
func (r *reloader) run(ctx context.Context, hup <-chan os.Signal, every time.Duration) {
	tick := time.NewTicker(max(every, 50*time.Millisecond))
	defer tick.Stop()
	lastSave := time.Now()
	for {
		select {
		case <-ctx.Done():
			saveLastUsed(r.keys, r.srv, r.log)
			return
		case <-hup:
			r.reload("SIGHUP")
			r.watch.loaded()
		case <-r.peer: // nil without a shared store: never ready
			r.reload(whyPeer)
			r.watch.loaded()
		case <-tick.C:
			if r.watch.poll() {
				r.reload("file changed")
			}
			if time.Since(lastSave) > 30*time.Second {
				saveLastUsed(r.keys, r.srv, r.log)
				lastSave = time.Now()
			}
		}
	}
}

// fileWatch tells when files changed and have settled: a change is
// reported only once two consecutive polls see the same new version, so a
// file still being written (a prefix on disk, growing) is not loaded
// half-way.
type fileWatch struct {
	files []string
	seen  []config.Stamp // the version last loaded
	last  []config.Stamp // the version the previous poll saw
}

func stampAll(files []string) []config.Stamp {
	out := make([]config.Stamp, len(files))
	for i, f := range files {
		out[i] = config.StampOf(f)
	}
	return out
}

func sameStamps(a, b []config.Stamp) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Same(b[i]) {
			return false
		}
	}
	return true
}

// loaded records the files' current version as loaded.
func (w *fileWatch) loaded() {
	w.seen = stampAll(w.files)
	w.last = w.seen
}

// poll reports whether the files differ from the version last loaded and
// are the same as at the previous poll; it then takes them as loaded.
func (w *fileWatch) poll() bool {
	now := stampAll(w.files)
	settled := sameStamps(now, w.last)
	w.last = now
	if !settled || sameStamps(now, w.seen) {
		return false
	}
	w.seen = now
	return true
}
