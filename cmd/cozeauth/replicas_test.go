package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/emulator"
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

// TestLoginAcrossReplicas: two serve replicas sharing Redis. A connect
// link made by one opens on the other, and Coze's answer comes back to
// the first, which finishes the login: the user's grant is then in Redis
// for both.
func TestLoginAcrossReplicas(t *testing.T) {
	rs := redistest.Start(t)
	emu, base := newEmu(t, "cn", 0)
	emu.SetApprove(emulator.ApproveAuto)
	const secret, redirect = "web-secret-across-replicas", "http://127.0.0.1:1/oauth/callback"
	emu.AddWebApp(testAppID, secret, redirect)
	dir := t.TempDir()
	writeFile(t, dir, "secret.txt", secret+"\n", 0o600)
	cfg := writeConfig(t, dir, app{name: "web", region: "cn", apiBase: base, clientID: testAppID,
		extra: "    kind: web\n    www_base: " + base + "\n    client_secret_file: secret.txt\n    redirect_uri: " + redirect + "\n"})
	t.Setenv(config.EnvStore, rs.URL())
	t.Setenv(grant.EnvStoreKey, grant.GenerateKey())
	a, _, _ := startCLI(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	b, _, _ := startCLI(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// Replica A makes the connect link.
	resp, err := http.Post(a+"/connect", "application/json", strings.NewReader(`{"app":"web","subject":"kim"}`))
	if err != nil {
		t.Fatal(err)
	}
	var link struct{ URL string }
	if err := json.NewDecoder(resp.Body).Decode(&link); err != nil || resp.StatusCode != 200 {
		t.Fatalf("connect on A: %d %v", resp.StatusCode, err)
	}
	resp.Body.Close()
	// Replica B opens it (the link is on the redirect URI's origin, which
	// a load balancer would send to any replica) and sends the browser to
	// Coze's consent page.
	start := strings.Replace(link.URL, "http://127.0.0.1:1", b, 1)
	resp, err = noFollow.Get(start)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 302 || len(resp.Cookies()) != 1 {
		t.Fatalf("login start on B: %d, cookies %v", resp.StatusCode, resp.Cookies())
	}
	cookie := resp.Cookies()[0]
	// Coze approves and answers with a code for the redirect URI.
	resp, err = noFollow.Get(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	answer, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || answer.Query().Get("code") == "" {
		t.Fatalf("Coze's answer: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// The browser comes back to replica A.
	req, _ := http.NewRequest("GET", a+"/oauth/callback?"+answer.RawQuery, nil)
	req.AddCookie(cookie)
	resp, err = noFollow.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `data-result="connected"`) {
		t.Fatalf("callback on A: %d %s", resp.StatusCode, page)
	}
	// Either replica now has kim's token.
	for _, base := range []string{a, b} {
		req, _ := http.NewRequest("POST", base+"/token", strings.NewReader(`{"app":"web"}`))
		req.Header.Set("X-User-ID", "kim")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("token for kim from %s: %d %s", base, resp.StatusCode, body)
		}
	}
}
