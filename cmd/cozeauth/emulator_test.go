package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// TestEmulatorCommandServesAConfiguredApp: the standalone emulator and a
// serve pointed at it by environment variables give a token end to end.
func TestEmulatorCommandServesAConfiguredApp(t *testing.T) {
	dir := t.TempDir()
	pub, _ := coze.EncodePublicKey(&testKey().PublicKey)
	priv, _ := coze.EncodePrivateKey(testKey())
	os.WriteFile(filepath.Join(dir, "public_key.pem"), pub, 0o600)
	os.WriteFile(filepath.Join(dir, "private_key.pem"), priv, 0o600)
	emu, _, _ := startCLI(t, "emulator", "--listen", "127.0.0.1:0", "--pub", filepath.Join(dir, "public_key.pem"), "--client-id", "1170000000042", "--kid", "k1")
	t.Setenv("COZEAUTH_CONFIG", "")
	t.Setenv("CLIENT_ID", "1170000000042")
	t.Setenv("KID", "k1")
	t.Setenv("PRIVATE_KEY_FILE", filepath.Join(dir, "private_key.pem"))
	t.Setenv("COZE_API_BASE", emu)
	t.Setenv("AUDIENCE", "api.coze.cn")
	base, _, _ := startCLI(t, "serve", "--listen", "127.0.0.1:0", "--pprof", "127.0.0.1:0")
	if tok, _ := getToken(t, base, "e2e"); tok == "" {
		t.Fatal("no token")
	}
	if _, _, err := runCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0", "--pprof", "0.0.0.0:6060"); err == nil {
		t.Fatal("--pprof on a public address was accepted")
	}
}
