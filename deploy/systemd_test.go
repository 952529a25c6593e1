package deploy

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// systemd-analyze verify accepts the unit (any warning fails the test,
// unknown keys included), with the binary it starts in place.
func TestSystemdUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is not installed (Debian package systemd; CI is set)")
		}
		t.Skip("systemd-analyze is not installed (Debian package systemd)")
	}
	unit, err := os.ReadFile("cozeauth.service")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "StateDirectory=cozeauth",
		"--data-dir ${STATE_DIRECTORY}", "CapabilityBoundingSet=\n"} {
		if !strings.Contains(string(unit), want) {
			t.Errorf("the unit lacks %q", want)
		}
	}
	bin := builtBinary(t)
	// verify checks that ExecStart's program exists: point it at the
	// binary just built.
	text := strings.ReplaceAll(string(unit), "/usr/local/bin/cozeauth", bin)
	path := filepath.Join(t.TempDir(), "cozeauth.service")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd := exec.Command(analyze, "verify", path)
	cmd.Stderr, cmd.Stdout = &stderr, &stderr
	err = cmd.Run()
	if err != nil || strings.Contains(stderr.String(), path) {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, stderr.String())
	}
}
