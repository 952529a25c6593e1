package compat

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/server"
)

// needNode finds node and npm and installs the SDK (npm ci, from the
// committed lockfile) when it is not there yet. Without node it skips,
// except in CI, where a missing SDK check is a failure.
func needNode(t *testing.T) string {
	t.Helper()
	node, err1 := exec.LookPath("node")
	npm, err2 := exec.LookPath("npm")
	if err1 != nil || err2 != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("node and npm are needed for the SDK compatibility test (Debian: apt-get install nodejs npm)")
		}
		t.Skip("node/npm not installed: the official Node SDK check needs them")
	}
	if _, err := os.Stat("node/node_modules/@coze/api/package.json"); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
		cmd.Dir = "node"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("npm ci in compat/node: %v\n%s", err, out)
		}
	}
	return node
}

func TestOfficialNodeSDKThroughGateway(t *testing.T) {
	node := needNode(t)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	emu := emulator.New(emulator.Options{})
	emu.AddKey("1170000000000", "kid", &key.PublicKey)
	cz := httptest.NewServer(emu)
	defer cz.Close()
	clientKey, hash, err := policy.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{Source: "test", DefaultSession: "default-session", DefaultApp: "bot",
		Apps: []config.App{{Name: "bot", Kind: config.KindJWT, ClientID: "1170000000000", JWT: &config.JWTApp{KeyID: "kid", Key: key},
			APIBase: cz.URL, WSBase: coze.WSBaseFor(cz.URL), Audience: "api.coze.cn", Duration: 900}},
		Access: config.Access{
			Policies: []policy.Policy{{Name: "sdk", Apps: []string{"bot"}, Session: policy.SessionTrust}},
			Clients:  []policy.Client{{Name: "node-sdk", Policy: "sdk", Hash: hash}},
		}}
	a := &cfg.Apps[0]
	b := broker.New(map[string]broker.Source{"bot": &credential.JWT{Client: &coze.Client{}, Signer: a.Signer(), TokenURL: a.TokenURL()}}, broker.Options{})
	defer b.Close()
	srv, err := server.New(cfg, b, server.Options{})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(srv)
	defer gw.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("node", "gateway.test.mjs"))
	cmd.Env = append(os.Environ(), "COZEAUTH_URL="+gw.URL, "COZEAUTH_KEY="+clientKey)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the official Node SDK failed through the gateway: %v\n%s", err, out)
	}
	t.Logf("node --test:\n%s", out)
	if !strings.Contains(string(out), "pass 3") {
		t.Fatalf("expected 3 passing SDK tests:\n%s", out)
	}
	if got := emu.LastAPIAuth(); got == "" || strings.Contains(got, clientKey) {
		t.Fatalf("Coze saw Authorization %q: want the injected Coze token, never the client key", got)
	}
	if emu.MintsFor("1170000000000", "sdk-user") != 1 {
		t.Fatal("the SDK's calls did not share one token for its session")
	}
}
