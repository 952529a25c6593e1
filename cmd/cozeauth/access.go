package main

import (
	"encoding/json"
	"io"
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

// openAudit returns the audit logger: buffered, flushed every 200 ms.
// Failed writes are reported on log.
func openAudit(stderr io.Writer, dest string, asJSON bool, log *slog.Logger) (*slog.Logger, func(), error) {
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
	bw.SetErrorLog(log)
	var h slog.Handler = slog.NewTextHandler(bw, nil)
	if asJSON {
		h = slog.NewJSONHandler(bw, nil)
	}
	return slog.New(h).With("log", "audit"), func() { bw.Close(); closeFile() }, nil
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
