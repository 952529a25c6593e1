package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestDeviceLoginOnATerminal: on a terminal, login draws a QR code of the
// page and counts down; the grant names the Coze account that approved.
func TestDeviceLoginOnATerminal(t *testing.T) {
	old := isTerminal
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = old })
	_, cfg, data := deviceLoginSetup(t, emulator.ApproveAuto)
	out, errOut, code := runLogin(t, t.Context(), true, "--config", cfg, "--app", "tv", "--subject", "den", "--data-dir", data)
	if code != 0 || !strings.Contains(out, "Coze account Emulated "+emulator.DefaultUser) {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "▀") && !strings.Contains(errOut, "▄") {
		t.Fatalf("no QR code drawn:\n%s", errOut)
	}
	if !strings.Contains(errOut, "left…") {
		t.Fatalf("no countdown:\n%s", errOut)
	}
	if ms := storedGrants(t, data); len(ms) != 1 || !strings.Contains(ms[0].User, emulator.DefaultUser) {
		t.Fatalf("stored %+v", ms)
	}
}

// TestDeviceLoginThroughServe: while serve holds the store, login asks it
// (--server, or by itself at the config's listen address); serve polls
// Coze and keeps the grant, and nothing is half-written either way.
func TestDeviceLoginThroughServe(t *testing.T) {
	emu, cfg, data := deviceLoginSetup(t, emulator.ApproveAuto)
	base, _, _ := startCLI(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--data-dir", data)
	out, errOut, code := runLogin(t, t.Context(), true, "--server", base, "--app", "tv", "--subject", "kitchen")
	if code != 0 || !strings.Contains(out, "connected: app tv, subject kitchen") || !strings.Contains(out, "the grant is kept by "+base) {
		t.Fatalf("--server: exit %d\n%s\n%s", code, out, errOut)
	}
	// The same config with serve's address: login finds the store locked
	// and asks serve.
	host := strings.TrimPrefix(base, "http://")
	if _, _, err := net.SplitHostPort(host); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg2 := writeFile(t, filepath.Dir(cfg), "with-listen.yaml", string(raw)+"listen: "+host+"\ndata_dir: "+data+"\n", 0o600)
	out, errOut, code = runLogin(t, t.Context(), true, "--config", cfg2, "--app", "tv", "--subject", "hall")
	if code != 0 || !strings.Contains(errOut, "held by a running serve: asking it at "+base) || !strings.Contains(out, "subject hall") {
		t.Fatalf("fallback: exit %d\n%s\n%s", code, out, errOut)
	}
	// With a store shared by replicas the grants are not in a local file:
	// login asks serve, whatever the local data dir holds.
	cfg3 := writeFile(t, filepath.Dir(cfg), "shared.yaml", string(raw)+"listen: "+host+"\nstore: redis://127.0.0.1:1\n", 0o600)
	out, errOut, code = runLogin(t, t.Context(), true, "--config", cfg3, "--app", "tv", "--subject", "porch", "--data-dir", t.TempDir())
	if code != 0 || !strings.Contains(errOut, "grants live in the store replicas share: asking serve at "+base) || !strings.Contains(out, "subject porch") {
		t.Fatalf("shared store: exit %d\n%s\n%s", code, out, errOut)
	}
	if n := emu.MintsByGrant(emulator.GrantDeviceCode); n != 3 {
		t.Fatalf("%d device codes redeemed, want 3", n)
	}
	// serve's grants list shows both, through its admin route.
	out, errOut, code = cli(t, "", "grants", "list", "--server", base)
	if code != 0 || !strings.Contains(out, "kitchen") || !strings.Contains(out, "hall") {
		t.Fatalf("grants list: exit %d\n%s\n%s", code, out, errOut)
	}
}
