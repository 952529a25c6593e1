package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

var listenRE = regexp.MustCompile(`listening on (https?://[0-9.:]+)`)

// startCLI runs `cozeauth args...` until the test ends and returns the
// served base URL and the captured output.
func startCLI(t *testing.T, args ...string) (string, *lockedBuffer, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	root := newRoot()
	root.SetArgs(args)
	root.SetOut(out)
	root.SetErr(errOut)
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := listenRE.FindStringSubmatch(out.String()); m != nil {
			return m[1], out, errOut
		}
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, errOut)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("serve did not start:\n%s\n%s", out, errOut)
	return "", nil, nil
}

func getToken(t *testing.T, base, user string) (string, int64) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/token", nil)
	req.Header.Set("X-User-ID", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken, tok.ExpiresIn
}

func TestServeDemo(t *testing.T) {
	base, out, _ := startCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0")
	if !strings.Contains(out.String(), "curl -s -X POST -H 'X-User-ID: alice' "+base+"/token") {
		t.Fatalf("demo did not print a ready-to-paste curl line:\n%s", out)
	}
	a1, exp := getToken(t, base, "alice")
	a2, _ := getToken(t, base, "alice")
	b1, _ := getToken(t, base, "bob")
	if a1 != a2 || a1 == b1 || !strings.HasPrefix(a1, "czs_") {
		t.Fatal("demo does not cache per session")
	}
	if d := exp - time.Now().Unix(); d < 800 || d > 901 {
		t.Fatalf("expires_in %d is not an absolute epoch second ~900s ahead", exp)
	}
	// The printed gateway line works: the emulated Coze API answers with
	// the token of alice's session injected.
	if !strings.Contains(out.String(), "curl -s -H 'X-User-ID: alice' "+base+"/v1/users/me") {
		t.Fatalf("demo did not print the gateway line:\n%s", out)
	}
	req, _ := http.NewRequest("GET", base+"/v1/users/me", nil)
	req.Header.Set("X-User-ID", "alice")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `-alice"`) {
		t.Fatalf("gateway call in the demo: %d %s", resp.StatusCode, body)
	}
}

// TestServeWithWorkerEnvOnly starts serve with nothing but the Cloudflare
// Worker's environment variables, the key PKCS#1 with literal \n escapes.
func TestServeWithWorkerEnvOnly(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{})
	emu.AddApp("1170000000009")
	emu.AddKey("1170000000009", "worker-kid", &key.PublicKey)
	cz := httptest.NewServer(emu)
	defer cz.Close()
	pkcs1 := pkcs1PEM(key)
	t.Setenv("COZEAUTH_CONFIG", "")
	t.Setenv("CLIENT_ID", "1170000000009")
	t.Setenv("KID", "worker-kid")
	t.Setenv("PRIVATE_KEY", strings.ReplaceAll(pkcs1, "\n", `\n`))
	t.Setenv("AUDIENCE", "api.coze.cn")
	t.Setenv("TOKEN_ENDPOINT", coze.TokenURL(cz.URL, "", ""))
	t.Setenv("TOKEN_DURATION", "1200")
	base, _, _ := startCLI(t, "serve", "--listen", "127.0.0.1:0")
	_, exp := getToken(t, base, "worker-user")
	if d := exp - time.Now().Unix(); d < 1100 || d > 1201 {
		t.Fatalf("TOKEN_DURATION=1200 gave a token expiring in %ds", d)
	}
	if emu.MintsFor("1170000000009", "worker-user") != 1 {
		t.Fatal("Coze did not see the X-User-ID as session_name")
	}
}

func TestServeRefusesBadConfig(t *testing.T) {
	t.Setenv("COZEAUTH_CONFIG", "")
	t.Setenv("CLIENT_ID", "not-a-number")
	t.Setenv("KID", "")
	t.Setenv("PRIVATE_KEY", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----")
	root := newRoot()
	root.SetArgs([]string{"serve", "--listen", "127.0.0.1:0"})
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	if err == nil {
		t.Fatal("serve started with a broken configuration")
	}
	for _, want := range []string{"CLIENT_ID", "KID", "PRIVATE_KEY", "public key"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
}

func TestVersion(t *testing.T) {
	root := newRoot()
	root.SetArgs([]string{"version"})
	var out bytes.Buffer
	root.SetOut(&out)
	if err := root.Execute(); err != nil || !strings.HasPrefix(out.String(), "cozeauth ") {
		t.Fatalf("version: %v %q", err, out.String())
	}
}
