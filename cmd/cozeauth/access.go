package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/server"
)

// loopbackOnly reports whether addr listens on loopback addresses only.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openAudit returns the audit logger: buffered, flushed every 200 ms.
func openAudit(stderr io.Writer, dest string, asJSON bool) (*slog.Logger, func(), error) {
	var w io.Writer
	closeFile := func() {}
	switch dest {
	case "off", "":
		return nil, func() {}, nil
	case "-":
		w = stderr
	default:
		f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, nil, err
		}
		w, closeFile = f, func() { f.Close() }
	}
	bw := server.NewBufferedWriter(w, 200*time.Millisecond)
	var h slog.Handler = slog.NewTextHandler(bw, nil)
	if asJSON {
		h = slog.NewJSONHandler(bw, nil)
	}
	return slog.New(h).With("log", "audit"), func() { bw.Close(); closeFile() }, nil
}

// watchAccess reloads clients and policies on SIGHUP and when the config
// or keys file changes; a bad reload keeps the old rules and logs why. It
// also records when each client key was last used, for `keys list`.
func watchAccess(ctx context.Context, cfg *config.Config, srv *server.Server, log *slog.Logger, every time.Duration) {
	if cfg.Source == "demo" || cfg.Source == "environment" {
		return
	}
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	tick := time.NewTicker(max(every, 50*time.Millisecond))
	defer tick.Stop()
	files := []string{cfg.Source, cfg.Access.KeysFile}
	seen := stamps(files)
	lastSave := time.Now()
	for {
		select {
		case <-ctx.Done():
			saveLastUsed(cfg.Access.KeysFile, srv)
			return
		case <-hup:
			reload(cfg.Source, srv, log, "SIGHUP")
		case <-tick.C:
			if now := stamps(files); now != seen {
				seen = now
				reload(cfg.Source, srv, log, "file changed")
			}
			if time.Since(lastSave) > 30*time.Second {
				saveLastUsed(cfg.Access.KeysFile, srv)
				lastSave = time.Now()
			}
		}
	}
}

func reload(path string, srv *server.Server, log *slog.Logger, why string) {
	cfg, err := config.LoadFile(path)
	if err != nil {
		log.Error("reload failed; keeping the previous clients and policies", "why", why, "err", err)
		return
	}
	if err := srv.Reload(cfg.Access); err != nil {
		log.Error("reload failed; keeping the previous clients and policies", "why", why, "err", err)
		return
	}
	log.Info("reloaded clients and policies", "why", why, "clients", len(cfg.Access.Clients), "policies", len(cfg.Access.Policies))
}

// stamps fingerprints files by size and modification time.
func stamps(files []string) string {
	out := ""
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			out += fmt.Sprint(st.ModTime().UnixNano(), "/", st.Size())
		}
		out += "|"
	}
	return out
}

// lastUsedPath holds the keys' last-use times beside the keys file.
func lastUsedPath(keysFile string) string { return keysFile + ".lastused.json" }

func saveLastUsed(keysFile string, srv *server.Server) {
	if keysFile == "" {
		return
	}
	used := srv.LastUsed()
	if len(used) == 0 {
		return
	}
	prev := readLastUsed(keysFile)
	for k, v := range used {
		prev[k] = v
	}
	data, _ := json.MarshalIndent(prev, "", "  ")
	tmp := lastUsedPath(keysFile) + ".tmp"
	if os.WriteFile(tmp, data, 0o600) == nil {
		os.Rename(tmp, lastUsedPath(keysFile))
	}
}

func readLastUsed(keysFile string) map[string]time.Time {
	out := map[string]time.Time{}
	if data, err := os.ReadFile(lastUsedPath(keysFile)); err == nil {
		json.Unmarshal(data, &out)
	}
	return out
}
