package config_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

const (
	appCN  = "1171234567890"
	appCOM = "7351234567890"
)

var (
	keysOnce sync.Once
	key1     *rsa.PrivateKey
	key2     *rsa.PrivateKey
	pem1     string // PKCS#8
	pem1v1   string // the same key, PKCS#1
	pem2     string // PKCS#8
	pubPEM1  string // PKIX public key of key1
)

func keys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		gen := func() *rsa.PrivateKey {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			return k
		}
		key1, key2 = gen(), gen()
		p8 := func(k *rsa.PrivateKey) string {
			der, err := x509.MarshalPKCS8PrivateKey(k)
			if err != nil {
				panic(err)
			}
			return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
		}
		pem1, pem2 = p8(key1), p8(key2)
		pem1v1 = string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key1)}))
		der, err := x509.MarshalPKIXPublicKey(&key1.PublicKey)
		if err != nil {
			panic(err)
		}
		pubPEM1 = string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
	})
}

// env is a getenv over a fixed map.
func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// escapeNewlines gives the one-line form env vars carry.
func escapeNewlines(s string) string { return strings.ReplaceAll(s, "\n", `\n`) }

// bodyLines returns every base64 line of a PEM: key material that must not
// appear in any error.
func bodyLines(p string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimSpace(p), "\n") {
		if !strings.HasPrefix(l, "-----") {
			out = append(out, l)
		}
	}
	return out
}

func writeFile(t testing.TB, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// problems returns every FieldError inside err, failing if err is not a
// *config.Error.
func problems(t testing.TB, err error) []*config.FieldError {
	t.Helper()
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %T %v is not a *config.Error", err, err)
	}
	var out []*config.FieldError
	for _, p := range ce.Problems {
		fe, ok := p.(*config.FieldError)
		if !ok {
			t.Fatalf("problem %T %v is not a *config.FieldError", p, p)
		}
		out = append(out, fe)
	}
	return out
}

// findProblem returns the FieldError for field whose message contains msg.
func findProblem(t testing.TB, err error, field, msg string) *config.FieldError {
	t.Helper()
	for _, fe := range problems(t, err) {
		if fe.Field == field && strings.Contains(fe.Error(), msg) {
			return fe
		}
	}
	t.Errorf("no problem for field %q containing %q in:\n%v", field, msg, err)
	return nil
}
