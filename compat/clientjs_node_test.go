package compat

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/policy"
	"github.com/cozeauth/cozeauth/server"
)

// TestClientJSWithOfficialNodeSDK runs /client.js in Node as the token
// function of Coze's official SDK (@coze/api: token: cozeauth.sdkToken),
// which calls Coze (the emulator) with the tokens it hands out: eight
// calls at once cost one token request; a refused key reaches the SDK's
// caller as a CozeauthError with cozeauth's code.
func TestClientJSWithOfficialNodeSDK(t *testing.T) {
	node := needNode(t)
	t.Parallel()
	cz := newCozeTestbed(t)
	key, hash, err := policy.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var tc tokenCounter
	gw := startCozeauth(t, cz, fmt.Sprintf(`policies:
  - {name: sdk, apps: [shop-bot], session: trust}
clients:
  - {name: node-sdk, policy: sdk, key_hash: %s}
`, hash), server.Options{}, tc.wrap)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", filepath.Join("node", "clientjs.test.mjs"))
	cmd.Env = append(os.Environ(), "COZEAUTH_URL="+gw, "COZEAUTH_KEY="+key, "COZE_API_URL="+cz.url)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("client.js with the official Node SDK: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "pass 2") {
		t.Fatalf("expected 2 passing tests:\n%s", out)
	}
	var ok, refused int
	for _, r := range tc.all() {
		switch {
		case r.status == 200:
			ok++
		case r.code == "invalid_client_key":
			refused++
		}
	}
	if ok != 1 || refused != 1 {
		t.Errorf("%d token requests answered, %d refused: want one of each (eight SDK calls share one token)", ok, refused)
	}
	if strings.Contains(string(out), key) {
		t.Error("the client key reached the test output")
	}
}
