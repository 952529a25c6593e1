package grant

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Test keys; their hex must never show up in an error.
var (
	secretA = bytes.Repeat([]byte{0xA1}, KeySize)
	secretB = bytes.Repeat([]byte{0xB2}, KeySize)
)

const testToken = "rt-SECRET-0123456789abcdef"

func ringOf(t testing.TB, keys ...Key) *Keyring {
	t.Helper()
	kr, err := NewKeyring(keys...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func ringA(t testing.TB) *Keyring { return ringOf(t, Key{"a", secretA}) }
func ringB(t testing.TB) *Keyring { return ringOf(t, Key{"b", secretB}) }

func sample(app, subject string) *Grant {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	return &Grant{
		App: app, Subject: subject, RefreshToken: testToken,
		Scope: []byte(`{"account_permission":{"permission_list":["Connector.botChat"]}}`),
		User:  "coze-user-1", CreatedAt: now, RefreshedAt: now, State: Active,
	}
}

// noSecrets fails when an error text holds a token or key material.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	s := err.Error()
	for _, secret := range []string{testToken, "SECRET", hex.EncodeToString(secretA), hex.EncodeToString(secretB), string(secretA), string(secretB)} {
		if strings.Contains(s, secret) {
			t.Errorf("error holds a secret: %q", s)
		}
	}
}

func newFile(t *testing.T) (string, *FileStore) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "data", DefaultFileName)
	s, err := OpenFile(path, ringA(t))
	if err != nil {
		t.Fatal(err)
	}
	return path, s
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
