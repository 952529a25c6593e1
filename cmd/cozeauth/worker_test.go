package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A Cloudflare Worker's environment, moved over unchanged, mints through
// an egress proxy: TOKEN_ENDPOINT names the proxy, and the assertion's aud
// stays api.coze.cn as the Worker signed it (the emulator behind the proxy
// refuses any other aud, as Coze does).
func TestWorkerEnvironmentMovesOverUnchanged(t *testing.T) {
	testKeys(t)
	emu, base := newEmu(t, "cn", 0)
	emu.AddKey(testAppID, testKid, &keyA.PublicKey)
	target, _ := url.Parse(base)
	var proxied atomic.Int64
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxied.Add(1)
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	// Exactly the Worker's variables (wrangler secrets hold the PEM with
	// literal \n), nothing of cozeauth's own.
	worker := map[string]string{
		"CLIENT_ID":      testAppID,
		"PRIVATE_KEY":    strings.ReplaceAll(pkcs8PEM(t, keyA), "\n", `\n`),
		"KID":            testKid,
		"TOKEN_ENDPOINT": proxy.URL + "/api/permission/oauth2/token",
		"TOKEN_DURATION": "600",
	}
	for _, name := range []string{"COZEAUTH_CONFIG", "AUDIENCE", "COZE_AUD", "COZE_REGION", "COZE_API_BASE", "PRIVATE_KEY_FILE",
		"COZE_JWT_OAUTH_CLIENT_ID", "COZE_API_TOKEN", "COZE_OAUTH_CONFIG", "COZEAUTH_APP_KIND"} {
		t.Setenv(name, "")
	}
	for k, v := range worker {
		t.Setenv(k, v)
	}
	t.Chdir(t.TempDir()) // no ./cozeauth.yaml

	out, errOut, code := cli(t, "", "token", "--session", "worker-user", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if d := got.ExpiresIn - time.Now().Unix(); !strings.HasPrefix(got.AccessToken, "czs_") || d < 500 || d > 601 {
		t.Errorf("token %q expiring in %d s, want czs_… in 600 s (TOKEN_DURATION)", got.AccessToken, d)
	}
	if proxied.Load() == 0 {
		t.Error("the exchange did not go through TOKEN_ENDPOINT's proxy")
	}
	if emu.MintsFor(testAppID, "worker-user") != 1 {
		t.Error("the emulator behind the proxy minted no token for the session")
	}
}
