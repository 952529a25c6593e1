package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

// Test identities registered with the emulators.
const (
	testAppID = "1170000000001"
	testKid   = "kid-a"
)

// Keys are generated once per test binary: RSA generation is slow under
// -race.
var (
	keysOnce   sync.Once
	keyA, keyB *rsa.PrivateKey
	ecKey      *ecdsa.PrivateKey
)

func testKeys(t testing.TB) {
	t.Helper()
	keysOnce.Do(func() {
		var err error
		if keyA, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if keyB, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if ecKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			panic(err)
		}
	})
}

func pkcs8PEM(t testing.TB, k any) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
}

func publicPEM(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	b, err := coze.EncodePublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// newEmu starts an emulator for region ("cn" or "com") whose clock runs
// skew ahead of ours, and returns it with its base URL.
func newEmu(t *testing.T, region string, skew time.Duration) (*emulator.Server, string) {
	t.Helper()
	opts := emulator.Options{Region: region}
	if skew != 0 {
		opts.Now = func() time.Time { return time.Now().Add(skew) }
	}
	emu := emulator.New(opts)
	hs := httptest.NewServer(emu)
	t.Cleanup(hs.Close)
	return emu, hs.URL
}

// closedURL is a loopback URL where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	hs := httptest.NewServer(nil)
	u := hs.URL
	hs.Close()
	return u
}

// writeFile writes data at dir/name with mode and returns the path.
func writeFile(t *testing.T, dir, name, data string, mode os.FileMode) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, mode); err != nil {
		t.Fatal(err)
	}
	return p
}

// app is one app of a test config file.
type app struct {
	name, region, apiBase, audience, clientID, keyID, keyFile, extra string
}

// writeConfig writes a cozeauth.yaml (mode 0600) with apps into dir.
func writeConfig(t *testing.T, dir string, apps ...app) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("apps:\n")
	for _, a := range apps {
		fmt.Fprintf(&b, "  - name: %s\n", or(a.name, "bot"))
		for _, kv := range [][2]string{{"region", a.region}, {"api_base", a.apiBase}, {"audience", a.audience},
			{"client_id", a.clientID}, {"key_id", a.keyID}, {"private_key_file", a.keyFile}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "    %s: %q\n", kv[0], kv[1])
			}
		}
		b.WriteString(a.extra)
	}
	return writeFile(t, dir, "cozeauth.yaml", b.String(), 0o600)
}

// cnSetup is the common good case: a cn emulator with the app and key A
// registered, and a config pointing at it with key A as PKCS#8.
func cnSetup(t *testing.T) (emu *emulator.Server, cfgPath, dir string) {
	t.Helper()
	testKeys(t)
	emu, base := newEmu(t, "cn", 0)
	emu.AddKey(testAppID, testKid, &keyA.PublicKey)
	dir = t.TempDir()
	key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
	cfgPath = writeConfig(t, dir, app{region: "cn", apiBase: base, audience: "api.coze.cn", clientID: testAppID, keyID: testKid, keyFile: key})
	return emu, cfgPath, dir
}

// cli runs `cozeauth args...` in process and returns stdout, stderr and
// the exit status main would give.
func cli(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, strings.NewReader(stdin), &out, &errb)
	return out.String(), errb.String(), code
}

// wantAll fails for every want missing from text.
func wantAll(t *testing.T, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("output lacks %q:\n%s", w, text)
		}
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// apiBaseOf returns the api_base written in a config file.
func apiBaseOf(t *testing.T, path string) string {
	t.Helper()
	for _, l := range strings.Split(readFile(t, path), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "api_base: "); ok {
			return strings.Trim(v, `"`)
		}
	}
	t.Fatal("no api_base")
	return ""
}
