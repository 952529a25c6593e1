package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
)

// TestDemoEveryKind: the demo serves an app of each kind offline. The pat
// app's token goes only through the gateway; a web login completes in a
// "browser" (a client with a cookie jar) against the emulator's automatic
// consent, after which the gateway acts as the connected account; a
// subject nobody connected gets needs_login.
func TestDemoEveryKind(t *testing.T) {
	base, _, _ := startCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0")
	call := func(c *http.Client, method, path, body string, hdr ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	plain := http.DefaultClient
	if st, body := call(plain, "GET", "/v1/users/me", "", "X-Cozeauth-App", "pat"); st != 200 {
		t.Fatalf("pat through the gateway: %d %s", st, body)
	}
	if st, body := call(plain, "POST", "/token", `{"app":"pat"}`); st != 403 || !strings.Contains(body, "pat_not_handed_out") {
		t.Fatalf("pat from /token: %d %s", st, body)
	}
	if st, body := call(plain, "GET", "/v1/users/me", "", "X-Cozeauth-App", "web", "X-User-ID", "alice"); st != 403 || !strings.Contains(body, "needs_login") {
		t.Fatalf("web before a login: %d %s", st, body)
	}
	st, body := call(plain, "POST", "/connect", `{"app":"web","subject":"alice"}`)
	var link struct{ URL string }
	if err := json.Unmarshal([]byte(body), &link); st != 200 || err != nil || link.URL == "" {
		t.Fatalf("connect: %d %s", st, body)
	}
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	req, _ := http.NewRequest("GET", link.URL, nil)
	resp, err := browser.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), "connected") {
		t.Fatalf("login: %d %s", resp.StatusCode, page)
	}
	if st, body := call(plain, "GET", "/v1/users/me", "", "X-Cozeauth-App", "web", "X-User-ID", "alice"); st != 200 || !strings.Contains(body, demoUser) {
		t.Fatalf("web after the login: %d %s", st, body)
	}
	if st, body := call(plain, "POST", "/token", `{"app":"web"}`, "X-User-ID", "bob"); st != 403 || !strings.Contains(body, "needs_login") {
		t.Fatalf("bob, never connected: %d %s", st, body)
	}
	// The running server's grants: listed and revoked through its admin
	// route (its store is locked to it).
	out, errOut, code := cli(t, "", "grants", "list", "--server", base)
	if code != 0 || !strings.Contains(out, "alice") || !strings.Contains(out, "web") {
		t.Fatalf("grants list --server: exit %d\n%s%s", code, out, errOut)
	}
	if out, errOut, code := cli(t, "", "grants", "revoke", "--server", base, "--app", "web", "--subject", "alice"); code != 0 {
		t.Fatalf("grants revoke --server: exit %d\n%s%s", code, out, errOut)
	}
	if st, body := call(plain, "GET", "/v1/users/me", "", "X-Cozeauth-App", "web", "X-User-ID", "alice"); st != 403 || !strings.Contains(body, "needs_login") {
		t.Fatalf("after the revocation: %d %s", st, body)
	}
}
