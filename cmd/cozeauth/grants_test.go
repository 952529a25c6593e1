package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/grant"
)

const (
	cliKeyOld = "1111111111111111111111111111111111111111111111111111111111111111"
	cliKeyNew = "2222222222222222222222222222222222222222222222222222222222222222"
	cliToken  = "rt-CLI-SECRET-42"
)

func seedGrants(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	kr, err := grant.ParseKeyring(cliKeyOld)
	if err != nil {
		t.Fatal(err)
	}
	s, err := grant.OpenFile(filepath.Join(dir, grant.DefaultFileName), kr)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Add(-2 * time.Hour)
	for _, sub := range []string{"alice", "bob"} {
		g := &grant.Grant{App: "web", Subject: sub, RefreshToken: cliToken, User: "u-" + sub,
			Scope:     []byte(`{"account_permission": {"permission_list": ["Connector.botChat"]}}`),
			CreatedAt: now, RefreshedAt: now, State: grant.Active}
		if err := s.Put(context.Background(), g); err != nil {
			t.Fatal(err)
		}
		if sub == "bob" {
			s.MarkNeedsLogin(context.Background(), "web", "bob", g.Version, "invalid_grant")
		}
	}
	s.Close()
	return dir
}

func TestGrantsListRevokeRotate(t *testing.T) {
	dir := seedGrants(t)
	t.Setenv(grant.EnvStoreKey, cliKeyOld)
	out, errOut, err := runCLI(t, "grants", "list", "--data-dir", dir)
	if err != nil {
		t.Fatal(err, errOut)
	}
	for _, want := range []string{"SUBJECT", "alice", "u-alice", "needs_login (invalid_grant)", "2 h", `{"account_permission":{"permission_list":["Connector.botC...`} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out+errOut, cliToken) {
		t.Fatal("list printed a refresh token")
	}
	if _, _, err := runCLI(t, "grants", "revoke", "--data-dir", dir, "--app", "web", "--subject", "alice"); err != nil {
		t.Fatal(err)
	}
	_, _, err = runCLI(t, "grants", "revoke", "--data-dir", dir, "--app", "web", "--subject", "alice")
	if err == nil || !strings.Contains(err.Error(), `no grant for app "web" subject "alice"`) {
		t.Fatalf("second revoke: %v", err)
	}
	out, _, _ = runCLI(t, "grants", "list", "--data-dir", dir)
	if strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Fatalf("after revoke:\n%s", out)
	}

	keyFile := filepath.Join(t.TempDir(), "new.key")
	os.WriteFile(keyFile, []byte(cliKeyNew+"\n"), 0o600)
	out, errOut, err = runCLI(t, "store", "rotate-key", "--data-dir", dir, "--new-key-file", keyFile)
	if err != nil || !strings.Contains(out, "re-sealed 1 grant(s)") {
		t.Fatalf("rotate: %v %s %s", err, out, errOut)
	}
	_, _, err = runCLI(t, "grants", "list", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "wrong store key") || strings.Contains(err.Error(), cliKeyOld) {
		t.Fatalf("old key after rotation: %v", err)
	}
	out, _, err = runCLI(t, "grants", "list", "--data-dir", dir, "--store-key-file", keyFile)
	if err != nil || !strings.Contains(out, "bob") {
		t.Fatalf("new key: %v\n%s", err, out)
	}
}

func TestGrantsListNeverCreatesAStore(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "none")
	t.Setenv(grant.EnvStoreKey, cliKeyOld)
	_, _, err := runCLI(t, "grants", "list", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "no grant store at") {
		t.Fatalf("missing store: %v", err)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatal("list created the data directory")
	}
	t.Setenv(grant.EnvStoreKey, "")
	dir = seedGrants(t)
	_, _, err = runCLI(t, "grants", "list", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), grant.EnvStoreKey) {
		t.Fatalf("no key: %v", err)
	}
}
