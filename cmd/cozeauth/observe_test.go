package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

func get(t *testing.T, url string, hdr ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeMetricsAndStatus: serve answers /metrics and /status.json to a
// caller on this machine, the numbers follow real requests, and
// `cozeauth status` prints the same state.
func TestServeMetricsAndStatus(t *testing.T) {
	base, _, _ := startCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0", "--audit-log", "off")
	getToken(t, base, "alice")
	getToken(t, base, "alice")
	// A denial: a page of another site (open mode answers this machine's).
	req, _ := http.NewRequest("POST", base+"/token", nil)
	req.Header.Set("Origin", "https://evil.example")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Fatalf("foreign origin: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	status, text := get(t, base+"/metrics")
	if status != 200 {
		t.Fatalf("/metrics: %d %s", status, text)
	}
	wantAll(t, text, `cozeauth_token_requests_total{app="jwt",code="",outcome="mint",policy=""} 1`,
		`cozeauth_token_requests_total{app="jwt",code="",outcome="hit",policy=""} 1`,
		`cozeauth_denied_total{code="origin_not_allowed",policy=""} 1`,
		`cozeauth_upstream_mints_total{app="jwt",reason="request",result="ok"} 1`,
		"cozeauth_cache_entries 1", `cozeauth_grants{state="needs_login"} 0`, "go_goroutines ")
	if strings.Contains(text, "alice") {
		t.Error("/metrics names the session")
	}

	out, errOut, code := cli(t, "", "status", "--server", base)
	if code != 0 {
		t.Fatalf("status: exit %d\n%s%s", code, out, errOut)
	}
	wantAll(t, out, "cozeauth at "+base, "APP", "jwt", "pat", "web", "Cache: 1 entries", "1 hits, 1 mints", "Grants: 0 active, 0 needing login",
		"origin_not_allowed", "403", "/token")
	out, _, code = cli(t, "", "status", "--server", base, "--json")
	var st struct {
		Apps []struct{ Name string } `json:"apps"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &st) != nil || len(st.Apps) == 0 {
		t.Fatalf("status --json: exit %d %s", code, out)
	}
	// Nobody listens there: the error says what to do.
	_, errOut, code = cli(t, "", "status", "--server", "http://127.0.0.1:1")
	if code == 0 || !strings.Contains(errOut, "--server") {
		t.Fatalf("status against nothing: exit %d %s", code, errOut)
	}
}

var metricsAddrRE = regexp.MustCompile(`msg=metrics addr=(http://\S+)/metrics`)

// TestServeMetricsListen: with --metrics-listen, /metrics moves to that
// address and the main listener no longer serves it.
func TestServeMetricsListen(t *testing.T) {
	base, _, errOut := startCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--audit-log", "off")
	m := metricsAddrRE.FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no metrics address logged:\n%s", errOut)
	}
	getToken(t, base, "alice")
	if status, _ := get(t, base+"/metrics"); status != 404 {
		t.Fatalf("/metrics on the main listener: %d", status)
	}
	status, text := get(t, m[1]+"/metrics")
	if status != 200 || !strings.Contains(text, `cozeauth_token_requests_total{app="jwt",code="",outcome="mint",policy=""} 1`) {
		t.Fatalf("/metrics on --metrics-listen: %d\n%s", status, text)
	}
}

// TestServeLogFilesReopenOnHUP: the audit and access logs go to their
// files, hold no key or session secret in the access log, and after
// logrotate moves them away, SIGHUP makes serve write to new files.
func TestServeLogFilesReopenOnHUP(t *testing.T) {
	dir := t.TempDir()
	audit, access := filepath.Join(dir, "audit.log"), filepath.Join(dir, "access.log")
	base, _, errOut := startCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0", "--audit-log", audit, "--access-log", access)
	getToken(t, base, "alice")
	waitFor(t, audit, "msg=token", "session=alice")
	waitFor(t, access, "msg=access", "method=POST", "path=/token", "status=200")
	if strings.Contains(readFile(t, access), "alice") {
		t.Fatal("the access log names the session")
	}
	for _, f := range []string{audit, access} {
		if err := os.Rename(f, f+".1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(errOut.String(), "reopened the access log") || !strings.Contains(errOut.String(), "reopened the audit log") {
		if time.Now().After(deadline) {
			t.Fatalf("no reopen after SIGHUP:\n%s", errOut)
		}
		time.Sleep(10 * time.Millisecond)
	}
	getToken(t, base, "bob")
	waitFor(t, audit, "session=bob")
	waitFor(t, access, "path=/token")
	if strings.Contains(readFile(t, audit), "alice") || !strings.Contains(readFile(t, audit+".1"), "alice") {
		t.Fatal("lines before the rotation are not in the moved file alone")
	}
	if fi, err := os.Stat(audit); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new audit file: %v %v", fi, err)
	}
}

// waitFor polls file until it holds every want (lines are written within
// the flush interval, 200 ms), for up to 10 s.
func waitFor(t *testing.T, file string, wants ...string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(file)
		ok := true
		for _, w := range wants {
			ok = ok && strings.Contains(string(b), w)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s lacks %q after 10s:\n%s", file, wants, b)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
