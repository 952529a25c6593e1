package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/internal/atomicfile"
)

// eventually polls ok until it holds, for up to 10 s.
func eventually(t *testing.T, what string, log *lockedBuffer, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("%s did not happen within 10s; log:\n%s", what, log)
}

// tokenStatus asks base for a token with key (none when "") for user.
func tokenStatus(t *testing.T, base, key, user string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", base+"/token", nil)
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	req.Header.Set("X-User-ID", user)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	return resp.StatusCode, tok.AccessToken
}

// closedServer serves writeAccessConfig's rules (a "backend" client key,
// no open access) in front of an emulator, reloading every 50 ms.
type closedServer struct {
	cfg, base, key string
	config         string // the config file's content as served
	emu            *emulator.Server
	log            *lockedBuffer
}

// lastKid is the kid of the last assertion the emulator accepted.
func (s *closedServer) lastKid() string {
	g, _ := s.emu.LastGrant()
	return g.KeyID
}

func startClosed(t *testing.T) *closedServer {
	t.Helper()
	s := &closedServer{emu: emulator.New(emulator.Options{})}
	s.emu.AddKey("1170000000000", "kid", &testKey().PublicKey)
	cz := httptest.NewServer(s.emu)
	t.Cleanup(cz.Close)
	s.cfg = writeAccessConfig(t)
	data, _ := os.ReadFile(s.cfg)
	s.config = strings.Replace(string(data), "region: cn", "region: cn\n    api_base: "+cz.URL+"\n    audience: api.coze.cn", 1)
	os.WriteFile(s.cfg, []byte(s.config), 0o600)
	out, _, err := runCLI(t, "keys", "create", "--config", s.cfg, "--name", "be1", "--policy", "backend")
	if err != nil {
		t.Fatal(err)
	}
	s.key = strings.TrimSpace(out)
	s.base, _, s.log = startCLI(t, "serve", "--config", s.cfg, "--listen", "127.0.0.1:0", "--watch-interval", "50ms")
	return s
}

// write replaces the config file atomically, as an editor that saves
// safely does.
func (s *closedServer) write(t *testing.T, content string) {
	t.Helper()
	if err := atomicfile.Write(s.cfg, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestReloadEditedKeyIDTakesEffect: editing an app's key_id must reach
// the next mint (before, the log said "reloaded" while the old kid stayed
// in use), and drop the tokens minted under the old one.
func TestReloadEditedKeyIDTakesEffect(t *testing.T) {
	s := startClosed(t)
	status, before := tokenStatus(t, s.base, s.key, "u1")
	if status != 200 || s.lastKid() != "kid" {
		t.Fatalf("first token: %d, kid %q", status, s.lastKid())
	}
	s.emu.AddKey("1170000000000", "kid-2", &testKey().PublicKey)
	s.write(t, strings.Replace(s.config, "key_id: kid", "key_id: kid-2", 1))
	eventually(t, "a mint with the edited key id", s.log, func() bool {
		_, tok := tokenStatus(t, s.base, s.key, "u1")
		return s.lastKid() == "kid-2" && tok != before
	})
	wantAll(t, s.log.String(), "level=WARN", "reloaded configuration", "apps_changed=[bot]")
	eventually(t, "the reload's audit line (flushed every 200 ms)", s.log, func() bool {
		return strings.Contains(s.log.String(), "msg=reload log=audit why=\"file changed\" result=applied")
	})
}

// TestReloadRefusesTruncatedConfig: a config caught half-written — cut
// after apps: (no policies: open mode) or inside a policy — is refused,
// the old rules stay and the service stays closed.
func TestReloadRefusesTruncatedConfig(t *testing.T) {
	s := startClosed(t)
	cuts := map[string]string{
		"after apps":      s.config[:strings.Index(s.config, "keys_file:")],
		"inside a policy": s.config[:strings.Index(s.config, "session: prefix")+4],
	}
	for name, cut := range cuts {
		before := strings.Count(s.log.String(), "reload refused")
		s.write(t, cut)
		eventually(t, "the "+name+" cut being refused", s.log, func() bool {
			return strings.Count(s.log.String(), "reload refused") > before
		})
		if status, _ := tokenStatus(t, s.base, "", "u"); status != 401 {
			t.Fatalf("cut %s: a caller without a key got %d, want 401 (the service opened)", name, status)
		}
		if status, _ := tokenStatus(t, s.base, s.key, "u"); status != 200 {
			t.Fatalf("cut %s: the client key got %d: the old rules should stay", name, status)
		}
	}
	wantAll(t, s.log.String(), "level=ERROR", "open mode")
	eventually(t, "the refusals' audit lines", s.log, func() bool { return strings.Count(s.log.String(), "result=refused") >= 2 })
	if strings.Contains(s.log.String(), s.key) {
		t.Fatal("the key reached the log")
	}
}

// TestWatchWaitsForAFileToSettle: a file seen changing is loaded only
// once a second poll sees the same version, so a writer caught half-way
// is not loaded.
func TestWatchWaitsForAFileToSettle(t *testing.T) {
	p := filepath.Join(t.TempDir(), "cozeauth.yaml")
	os.WriteFile(p, []byte("apps: []\npolicies: []\n"), 0o600)
	w := fileWatch{files: []string{p, filepath.Join(filepath.Dir(p), "keys.yaml")}}
	w.loaded()
	if w.poll() {
		t.Fatal("an unchanged file reported as changed")
	}
	f, _ := os.OpenFile(p, os.O_WRONLY|os.O_TRUNC, 0)
	f.WriteString("apps:\n") // a writer half-way
	if w.poll() {
		t.Fatal("a file seen changing for the first time was loaded at once")
	}
	f.WriteString("  - name: a\n")
	f.Close()
	if w.poll() {
		t.Fatal("a file still changing was loaded")
	}
	if !w.poll() {
		t.Fatal("a settled file was not loaded")
	}
	if w.poll() {
		t.Fatal("a loaded file was reported again")
	}
	// The keys file appearing counts too.
	os.WriteFile(w.files[1], []byte("clients: []\n"), 0o600)
	if w.poll() || !w.poll() {
		t.Fatal("a new keys file was not noticed once settled")
	}
}

// TestSIGHUPNeverKills: with a config file, from the environment or in
// demo mode, SIGHUP reloads or says there is nothing to reload, and serve
// keeps serving (before, env and demo serve died with status 129).
func TestSIGHUPNeverKills(t *testing.T) {
	cfg := writeAccessConfig(t)
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"demo", []string{"serve", "--demo", "--listen", "127.0.0.1:0"}, "nothing to reload"},
		{"file", []string{"serve", "--config", cfg, "--listen", "127.0.0.1:0"}, "reloaded configuration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, _, log := startCLI(t, tc.args...)
			if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the SIGHUP being handled", log, func() bool { return strings.Contains(log.String(), tc.want) })
			resp, err := http.Get(base + "/healthz")
			if err != nil {
				t.Fatalf("not serving after SIGHUP: %v", err)
			}
			resp.Body.Close()
		})
	}
}

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
	// The CLI is another process: the server's audit log records both
	// changes through the reload they caused.
	eventually("key create and revoke being audited", func() bool {
		log := errOut.String()
		return strings.Contains(log, "msg=reload log=audit") && strings.Contains(log, "clients_added=[late]") && strings.Contains(log, "clients_removed=[late]")
	})
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
