package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestServePicksUpKeyChanges: a key created while serving works within
// seconds, and stops working once revoked, with no restart.
func TestServePicksUpKeyChanges(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	emu.AddKey("1170000000000", "kid", &testKey().PublicKey)
	cz := httptest.NewServer(emu)
	defer cz.Close()
	cfg := writeAccessConfig(t)
	data, _ := os.ReadFile(cfg)
	os.WriteFile(cfg, []byte(strings.Replace(string(data), "region: cn", "region: cn\n    api_base: "+cz.URL+"\n    audience: api.coze.cn", 1)), 0o600)
	base, _, errOut := startCLI(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0", "--watch-interval", "100ms")
	status := func(key string) int {
		req, _ := http.NewRequest("POST", base+"/token", nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	eventually := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			if ok() {
				return
			}
		}
		t.Fatalf("%s did not happen within 10s; log:\n%s", what, errOut)
	}
	if s := status(""); s != 401 {
		t.Fatalf("no key: %d", s)
	}
	out, _, err := runCLI(t, "keys", "create", "--config", cfg, "--name", "late", "--policy", "backend")
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(out)
	eventually("the new key being accepted", func() bool { return status(key) == 200 })
	if _, _, err := runCLI(t, "keys", "revoke", "--config", cfg, "late"); err != nil {
		t.Fatal(err)
	}
	eventually("the revoked key being refused", func() bool { return status(key) == 401 })
	// A broken keys file keeps the previous rules and says why.
	os.WriteFile(strings.Replace(cfg, "cozeauth.yaml", "keys.yaml", 1), []byte("clients: [{name: x, policy: nope, key_hash: bad}]"), 0o600)
	eventually("the bad reload being logged", func() bool { return strings.Contains(errOut.String(), "reload refused") })
	if s := status(""); s != 401 {
		t.Fatalf("after a bad reload: %d", s)
	}
	if strings.Contains(errOut.String(), key) {
		t.Fatal("the key reached the log")
	}
}
