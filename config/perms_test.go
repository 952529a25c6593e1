package config_test

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// "readable by group or others" is said only of files that hold a secret.
func TestPermissionWarningsOnlyForSecrets(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	write := func(name, data string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(data), mode)
		os.Chmod(p, mode)
		return p
	}
	write("private_key.pem", pem1, 0o600)
	der, _ := x509.MarshalPKIXPublicKey(&key1.PublicKey)
	pub := write("public_key.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})), 0o644)
	write("keys.yaml", "clients: []\n", 0o644)
	app := "apps:\n  - name: bot\n    region: cn\n    client_id: \"" + appCN + "\"\n    key_id: k\n"

	// A config file that only names the key file, and a keys file of
	// hashes: nothing to say.
	cfg := write("paths.yaml", app+"    private_key_file: private_key.pem\nkeys_file: keys.yaml\n", 0o644)
	c, err := config.LoadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings, "\n"); strings.Contains(w, "readable") {
		t.Errorf("warnings for files without secrets: %s", w)
	}

	// A secret inline: the config file is named, with what it holds.
	cfg = write("inline.yaml", app+"    private_key_file: private_key.pem\ncookie:\n  secret: \""+strings.Repeat("ab", 32)+"\"\n", 0o644)
	c, err = config.LoadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, cfg+" is readable by group or others") || !strings.Contains(w, "cookie.secret") {
		t.Errorf("inline cookie secret: %q", w)
	}

	// A readable private key file is named as one.
	write("private_key.pem", pem1, 0o644)
	c, err = config.LoadFile(write("key.yaml", app+"    private_key_file: private_key.pem\n", 0o600))
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings, "\n"); !strings.Contains(w, "private_key.pem is readable") || !strings.Contains(w, "private key of app bot") {
		t.Errorf("readable private key: %q", w)
	}

	// A public key given where the private key belongs is an error, not a
	// secret others can read.
	c, err = config.LoadFile(write("pub.yaml", app+"    private_key_file: public_key.pem\n", 0o600))
	if err == nil {
		t.Fatal("a public key loaded as the private key")
	}
	if c != nil && strings.Contains(strings.Join(c.Warnings, "\n"), pub) {
		t.Errorf("warned about the public key file: %q", c.Warnings)
	}
}
