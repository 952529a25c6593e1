package grant

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParseKeyring(t *testing.T) {
	hexA, hexB := hex.EncodeToString(secretA), hex.EncodeToString(secretB)
	for _, in := range []string{hexA, " " + hexA + "\n", base64.StdEncoding.EncodeToString(secretA),
		base64.RawURLEncoding.EncodeToString(secretA)} {
		kr, err := ParseKeyring(in)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if kr.Primary() != DeriveKeyID(secretA) || !strings.HasPrefix(kr.Primary(), "k") || len(kr.Primary()) != 9 {
			t.Fatalf("derived id %q", kr.Primary())
		}
	}
	if DeriveKeyID(secretA) == DeriveKeyID(secretB) {
		t.Fatal("two keys, one derived id")
	}
	kr, err := ParseKeyring("new:" + hexB + ",\n old:" + base64.StdEncoding.EncodeToString(secretA))
	if err != nil {
		t.Fatal(err)
	}
	if kr.Primary() != "new" || fmt.Sprint(kr.IDs()) != "[new old]" || !kr.Has("old") || kr.Has("k") {
		t.Fatalf("ring %v", kr)
	}
	// The parsed keys are the given ones.
	if !sameKey(kr, ringOf(t, Key{"old", secretA}), "old") || sameKey(kr, ringOf(t, Key{"old", secretB}), "old") {
		t.Fatal("parsed key differs")
	}
}

func TestParseKeyringErrorsHoldNoKey(t *testing.T) {
	hexA := hex.EncodeToString(secretA)
	for in, says := range map[string]string{
		"":                            "empty",
		hexA[:62]:                     "64 hex digits",
		hexA + "00":                   "64 hex digits",
		"a:" + hexA + ",a:" + hexA:    "listed twice",
		"a:" + hexA + "," + hexA:      "no id",
		"bad id:" + hexA:              "key id",
		"a:" + hexA[:40]:              "entry 1",
		strings.Repeat("z", 33) + ":": "entry 1",
	} {
		_, err := ParseKeyring(in)
		if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), says) {
			t.Errorf("%q: %v; want %q", in, err, says)
		}
		noSecrets(t, err)
		if strings.Contains(fmt.Sprint(err), hexA[:40]) {
			t.Errorf("error quotes key material: %v", err)
		}
	}
	if _, err := NewKeyring(Key{"a", secretA[:16]}); !errors.Is(err, ErrBadKey) {
		t.Fatalf("short key: %v", err)
	}
}

func TestKeysPrintNoSecret(t *testing.T) {
	k := Key{"a", secretA}
	kr := ringA(t)
	out := fmt.Sprintf("%v %+v %#v %s %v %#v", k, k, k, kr, *kr, kr)
	if strings.Contains(out, hex.EncodeToString(secretA)) || strings.Contains(out, string(secretA)) || strings.Contains(out, "161") {
		t.Fatalf("printed key material: %s", out)
	}
}

func TestLoadKeyring(t *testing.T) {
	hexA := hex.EncodeToString(secretA)
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if _, _, err := LoadKeyring(getenv, ""); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), EnvStoreKey) {
		t.Fatalf("no key: %v", err)
	}
	env[EnvStoreKey] = "a:" + hexA
	kr, warn, err := LoadKeyring(getenv, "")
	if err != nil || warn != "" || kr.Primary() != "a" {
		t.Fatalf("env: %v %q %v", kr, warn, err)
	}
	env[EnvStoreKey] = "nonsense"
	if _, _, err := LoadKeyring(getenv, ""); !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), EnvStoreKey) {
		t.Fatalf("bad env: %v", err)
	}

	dir := t.TempDir()
	file := filepath.Join(dir, "store.key")
	os.WriteFile(file, []byte("f:"+hexA+"\n"), 0o600)
	kr, warn, err = LoadKeyring(getenv, file) // the file wins over env
	if err != nil || warn != "" || kr.Primary() != "f" {
		t.Fatalf("file: %v %q %v", kr, warn, err)
	}
	if runtime.GOOS != "windows" {
		os.Chmod(file, 0o644)
		if _, warn, err = ReadKeyFile(file); err != nil || !strings.Contains(warn, "chmod 600") {
			t.Fatalf("exposed file: %q %v", warn, err)
		}
	}
	os.WriteFile(file, []byte("f:"+hexA[:10]), 0o600)
	_, _, err = ReadKeyFile(file)
	if !errors.Is(err, ErrBadKey) || !strings.Contains(err.Error(), file) {
		t.Fatalf("bad file: %v", err)
	}
	noSecrets(t, err)
	if _, _, err := ReadKeyFile(filepath.Join(dir, "missing")); err == nil {
		t.Fatal("missing file read")
	}
	if g := GenerateKey(); len(g) != 64 {
		t.Fatalf("generated %d characters", len(g))
	} else if _, err := ParseKeyring(g); err != nil {
		t.Fatal(err)
	}
}
