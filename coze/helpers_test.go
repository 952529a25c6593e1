package coze_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"strings"
	"sync"
	"testing"
)

// Keys are generated once per test binary: RSA-2048 generation costs about
// 100ms (more under -race).
var (
	keysOnce sync.Once
	rsaKey   *rsa.PrivateKey // the app key registered with the emulator
	rsaKey2  *rsa.PrivateKey // a second, unregistered key
	rsa1024  *rsa.PrivateKey // too small
	ecKey    *ecdsa.PrivateKey
	edKey    ed25519.PrivateKey
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if rsaKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if rsaKey2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		// 1024 is the smallest size crypto/rsa generates without
		// GODEBUG=rsa1024min=0, and it is below coze.MinKeyBits.
		if rsa1024, err = rsa.GenerateKey(rand.Reader, 1024); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
		if _, edKey, err = ed25519.GenerateKey(rand.Reader); err != nil {
			panic(err)
		}
	})
}

func pemBlock(typ string, der []byte) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}))
}

func pkcs1PEM(k *rsa.PrivateKey) string {
	return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k))
}

func pkcs8PEM(t testing.TB, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PRIVATE KEY", der)
}

func pkixPEM(t testing.TB, pub any) string {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PUBLIC KEY", der)
}

// escapeNewlines turns a PEM into the one-line form env vars and JSON
// strings carry: literal backslash-n in place of newlines.
func escapeNewlines(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

// pemBody returns a run of base64 from the middle of a PEM: key material
// that must never show up in an error message.
func pemBody(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)/2]
}

// jwtParts decodes a compact JWT by hand: header, claims, the signing input
// and the signature.
func jwtParts(t testing.TB, tok string) (hdr, claims map[string]any, signed string, sig []byte) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("JWT has %d parts, want 3: %q", len(parts), tok)
	}
	dec := func(i int, dst *map[string]any) {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatalf("JWT part %d is not unpadded base64url: %v", i, err)
		}
		d := json.NewDecoder(strings.NewReader(string(b)))
		d.UseNumber()
		if err := d.Decode(dst); err != nil {
			t.Fatalf("JWT part %d is not a JSON object: %v (%s)", i, err, b)
		}
	}
	dec(0, &hdr)
	dec(1, &claims)
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatalf("JWT signature is not unpadded base64url: %v", err)
	}
	return hdr, claims, parts[0] + "." + parts[1], sig
}

func claimInt(t testing.TB, c map[string]any, name string) int64 {
	t.Helper()
	n, ok := c[name].(json.Number)
	if !ok {
		t.Fatalf("claim %s = %#v, want a JSON number", name, c[name])
	}
	v, err := n.Int64()
	if err != nil {
		t.Fatalf("claim %s = %s, want an integer: %v", name, n, err)
	}
	return v
}
