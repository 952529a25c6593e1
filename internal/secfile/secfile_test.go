package secfile

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestWarning(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no mode bits")
	}
	dir := t.TempDir()
	priv := filepath.Join(dir, "private.pem")
	open := filepath.Join(dir, "open.pem")
	for path, mode := range map[string]os.FileMode{priv: 0o600, open: 0o644} {
		if err := os.WriteFile(path, []byte("x"), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil { // umask
			t.Fatal(err)
		}
	}
	if w := Warning(priv, "private key"); w != "" {
		t.Errorf("0600 file warned: %s", w)
	}
	w := Warning(open, "private key")
	if !strings.Contains(w, "mode 0644") || !strings.Contains(w, "chmod 600 "+open) {
		t.Errorf("Warning = %q", w)
	}
	if w := Warning(filepath.Join(dir, "missing"), "x"); w != "" {
		t.Errorf("missing file warned: %s", w)
	}
}
