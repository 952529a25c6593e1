package main

import (
	"crypto/rsa"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// fakeKeys makes keygen hand out key A instead of generating one, and
// records the sizes asked for.
func fakeKeys(t *testing.T) *[]int {
	t.Helper()
	testKeys(t)
	var asked []int
	old := generateKey
	generateKey = func(bits int) (*rsa.PrivateKey, error) { asked = append(asked, bits); return keyA, nil }
	t.Cleanup(func() { generateKey = old })
	return &asked
}

func TestKeygen(t *testing.T) {
	asked := fakeKeys(t)
	dir := filepath.Join(t.TempDir(), "keys")
	out, errOut, code := cli(t, "", "keygen", "--bits", "3072", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if len(*asked) != 1 || (*asked)[0] != 3072 {
		t.Errorf("asked for %v bits", *asked)
	}
	privPath, pubPath := filepath.Join(dir, "private_key.pem"), filepath.Join(dir, "public_key.pem")
	fi, err := os.Stat(privPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("private key: %v, mode %v", err, fi.Mode())
	}
	priv := readFile(t, privPath)
	if !strings.HasPrefix(priv, "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("private key is not PKCS#8:\n%s", priv[:40])
	}
	k, err := coze.ParsePrivateKey([]byte(priv))
	if err != nil || !k.Equal(keyA) {
		t.Fatalf("private key does not parse back: %v", err)
	}
	pub, err := coze.ParsePublicKey([]byte(readFile(t, pubPath)))
	if err != nil || !pub.Equal(&keyA.PublicKey) {
		t.Fatalf("public key is not the pair: %v", err)
	}
	wantAll(t, out, "RSA 3072-bit", privPath, pubPath, coze.Fingerprint(pub), "not Coze's key id",
		"API 授权", "OAuth 应用", "服务类应用", "添加公钥", "公钥指纹", "应用ID", "key_id", "cozeauth doctor", "cozeauth token")
	if strings.Contains(out, "PRIVATE KEY-----") {
		t.Error("keygen printed the private key")
	}

	// A second run refuses to overwrite and leaves the key alone.
	_, errOut, code = cli(t, "", "keygen", "--out", dir)
	if code != 1 || !strings.Contains(errOut, "already exists") || !strings.Contains(errOut, "never overwrites") {
		t.Errorf("second keygen: exit %d, %s", code, errOut)
	}
	if readFile(t, privPath) != priv {
		t.Error("private key was overwritten")
	}
}

func TestKeygenRefusesOnlyAPublicKeyToo(t *testing.T) {
	fakeKeys(t)
	dir := t.TempDir()
	writeFile(t, dir, "public_key.pem", "old", 0o644)
	_, errOut, code := cli(t, "", "keygen", "--out", dir)
	if code != 1 || !strings.Contains(errOut, "public_key.pem already exists") {
		t.Errorf("exit %d, %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(dir, "private_key.pem")); err == nil {
		t.Error("a private key was written without its public half")
	}
}

func TestKeygenBits(t *testing.T) {
	fakeKeys(t)
	_, errOut, code := cli(t, "", "keygen", "--bits", "1024", "--out", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "use 2048, 3072 or 4096") {
		t.Errorf("exit %d, %s", code, errOut)
	}
}

// TestKeygenReal generates one real 2048-bit key, the default.
func TestKeygenReal(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an RSA key")
	}
	dir := t.TempDir()
	if _, errOut, code := cli(t, "", "keygen", "--out", dir); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	k, err := coze.ParsePrivateKey([]byte(readFile(t, filepath.Join(dir, "private_key.pem"))))
	if err != nil || k.N.BitLen() != 2048 {
		t.Fatalf("key: %v", err)
	}
}
