package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// writeAccessConfig writes a config with one app, a backend and a public
// policy, and a keys file, returning the config path.
func writeAccessConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	pemKey, err := coze.EncodePrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "key.pem"), pemKey, 0o600)
	cfg := `apps:
  - name: bot
    region: cn
    client_id: "1170000000000"
    key_id: kid
    private_key_file: key.pem
    channel: true
keys_file: keys.yaml
policies:
  - name: backend
    apps: [bot]
    session: prefix
  - name: widget
    public: true
    apps: [bot]
    origins: [https://shop.example]
    session: cookie
    scope: {account_permission: {permission_list: [Connector.botChat]}}
    rate_per_ip: 1/s burst 5
`
	path := filepath.Join(dir, "cozeauth.yaml")
	os.WriteFile(path, []byte(cfg), 0o600)
	return path
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := newRoot()
	root.SetArgs(args)
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.Execute()
	return out.String(), errOut.String(), err
}

func TestKeysLifecycle(t *testing.T) {
	cfg := writeAccessConfig(t)
	keysFile := filepath.Join(filepath.Dir(cfg), "keys.yaml")
	out, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", "shop-backend", "--policy", "backend")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	if !strings.HasPrefix(key, policy.KeyPrefix) || len(key) < 4+43 {
		t.Fatalf("printed key %q", key)
	}
	data, _ := os.ReadFile(keysFile)
	if strings.Contains(string(data), key) || !strings.Contains(string(data), policy.HashKey(key)) {
		t.Fatal("the keys file must hold the hash, never the key")
	}
	if st, _ := os.Stat(keysFile); st.Mode().Perm() != 0o600 {
		t.Fatalf("keys file mode %o", st.Mode().Perm())
	}
	if _, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", "shop-backend", "--policy", "backend"); err == nil {
		t.Fatal("a duplicate name was accepted")
	}
	if _, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", "x", "--policy", "widget"); err == nil || !strings.Contains(err.Error(), "public") {
		t.Fatalf("a key for a public policy: %v", err)
	}
	if _, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", "x", "--policy", "nope"); err == nil {
		t.Fatal("a key for an unknown policy was accepted")
	}
	list, _, err := runCLI(t, "keys", "list", "--config", cfg)
	if err != nil || !strings.Contains(list, "shop-backend") || !strings.Contains(list, "backend") || strings.Contains(list, key) {
		t.Fatalf("keys list: %v\n%s", err, list)
	}
	if _, _, err := runCLI(t, "keys", "revoke", "--config", cfg, "shop-backend"); err != nil {
		t.Fatal(err)
	}
	list, _, _ = runCLI(t, "keys", "list", "--config", cfg)
	if strings.Contains(list, "shop-backend") {
		t.Fatal("revoked client still listed")
	}
	if _, _, err := runCLI(t, "keys", "revoke", "--config", cfg, "shop-backend"); err == nil {
		t.Fatal("revoking twice succeeded")
	}
}

func TestServeRefusesOpenNonLoopback(t *testing.T) {
	_, _, err := runCLI(t, "serve", "--demo", "--listen", "0.0.0.0:0")
	if err == nil || !strings.Contains(err.Error(), "--insecure-open-access") {
		t.Fatalf("open mode on 0.0.0.0: %v", err)
	}
}
