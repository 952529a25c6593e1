package main

import (
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/cozeauth/cozeauth/internal/atomicfile"
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

// lastUsedPath holds the keys' last-use times beside the keys file.
func lastUsedPath(keysFile string) string { return keysFile + ".lastused.json" }

// saveLastUsed merges the server's last-use times into the sidecar, under
// its lock (replicas on one host may share a keys file).
func saveLastUsed(keysFile string, srv *server.Server, log *slog.Logger) {
	if keysFile == "" {
		return
	}
	used := srv.LastUsed()
	if len(used) == 0 {
		return
	}
	unlock, err := atomicfile.Lock(lastUsedPath(keysFile))
	if err != nil {
		log.Warn("could not record when client keys were last used (keys list shows older times)", "err", err)
		return
	}
	defer unlock()
	prev := readLastUsed(keysFile)
	for k, v := range used {
		prev[k] = v
	}
	data, _ := json.MarshalIndent(prev, "", "  ")
	if err := atomicfile.Write(lastUsedPath(keysFile), data, 0o600); err != nil {
		log.Warn("could not record when client keys were last used (keys list shows older times)", "err", err)
	}
}

func readLastUsed(keysFile string) map[string]time.Time {
	out := map[string]time.Time{}
	if data, err := os.ReadFile(lastUsedPath(keysFile)); err == nil {
		json.Unmarshal(data, &out)
	}
	return out
}
