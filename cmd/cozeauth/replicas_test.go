package main

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/redistest"
	"github.com/cozeauth/cozeauth/replica"
)

// TestKeysRevokeReachesReplicas: what `keys revoke` does with a store
// configured reaches a running replica, which drops the client's tokens.
func TestKeysRevokeReachesReplicas(t *testing.T) {
	rs := redistest.Start(t)
	running, err := replica.Open(t.Context(), replica.Options{URL: rs.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	dropped := make(chan string, 1)
	running.OnRevoke(func(ids []string) { dropped <- ids[0] })
	t.Setenv(config.EnvStore, "")
	shared, err := revokeShared(context.Background(), &config.Config{Store: rs.URL()}, []string{"ci#deadbeef"})
	if err != nil || !shared {
		t.Fatalf("revokeShared: %v %v", shared, err)
	}
	select {
	case id := <-dropped:
		if id != "ci#deadbeef" || !running.Revoked(id) {
			t.Fatalf("the replica dropped %q", id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the running replica never heard of the revocation")
	}
	if shared, err := revokeShared(context.Background(), &config.Config{}, []string{"x#1"}); shared || err != nil {
		t.Fatal("without a store, revoke touched one")
	}
}

// TestServeSharesThroughRedis: serve with a store mints through it (the
// token is published for other replicas), says so in /readyz, and counts
// its Redis operations in /metrics.
func TestServeSharesThroughRedis(t *testing.T) {
	rs := redistest.Start(t)
	emu, cfgPath, _ := cnSetup(t)
	t.Setenv(config.EnvStore, rs.URL())
	t.Setenv(grant.EnvStoreKey, grant.GenerateKey())
	base, _, _ := startCLI(t, "serve", "--config", cfgPath, "--listen", "127.0.0.1:0")
	get := func(method, path string) string {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, nil)
		req.Header.Set("X-User-ID", "shared-alice")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return string(b)
	}
	if body := get("GET", "/readyz"); !strings.Contains(body, `"store":"shared"`) {
		t.Fatalf("/readyz: %s", body)
	}
	get("POST", "/token")
	if emu.Mints() != 1 {
		t.Fatalf("%d mints", emu.Mints())
	}
	metrics := get("GET", "/metrics")
	if !strings.Contains(metrics, `cozeauth_redis_operations_total{op="token.acquire",result="ok"}`) {
		t.Fatalf("no Redis operations counted:\n%s", grepLines(metrics, "cozeauth_redis"))
	}
}

// grepLines keeps the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
