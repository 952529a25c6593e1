package main

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/emulator"
	"github.com/cozeauth/cozeauth/grant"
)

const (
	kindsPAT    = "pat_CmdT3stT0k3nN3v3rSh0wn0123456789"
	kindsSecret = "CmdT3st-cl1ent-s3cret-n3ver-sh0wn"
)

// kindsConfig writes a config with a JWT app (the default) and one app of
// every other kind.
func kindsConfig(t *testing.T) string {
	t.Helper()
	testKeys(t)
	dir := t.TempDir()
	key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
	writeFile(t, dir, "pat.txt", kindsPAT+"\n", 0o600)
	writeFile(t, dir, "secret.txt", kindsSecret+"\n", 0o600)
	return writeConfig(t, dir,
		app{name: "jwt", region: "cn", clientID: testAppID, keyID: testKid, keyFile: key},
		app{name: "pat", region: "cn", extra: "    kind: pat\n    token_file: pat.txt\n"},
		app{name: "web", region: "cn", clientID: testAppID, extra: "    kind: web\n    client_secret_file: secret.txt\n    redirect_uri: https://a.example/oauth/callback\n"},
		app{name: "pkce", region: "com", clientID: testAppID, extra: "    kind: pkce\n    redirect_uri: http://localhost:8080/oauth/callback\n"},
		app{name: "device", region: "cn", clientID: testAppID, extra: "    kind: device\n    workspace_id: \"7001\"\n"})
}

// TestConfigCheckEveryKind: config check describes every kind and never
// shows a token, a client secret or a key.
func TestConfigCheckEveryKind(t *testing.T) {
	cfg := kindsConfig(t)
	out, errOut, code := cli(t, "", "config", "check", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	wantAll(t, out, "app jwt (default)", "jwt (服务类应用", "RSA 2048 bits",
		"app pat", "pat (个人/服务访问令牌", "personal access token (pat_…), from file ", "pat.txt (never shown)",
		"app web", "web (OAuth 授权码", "redirect     https://a.example/oauth/callback", "client secret (客户端密钥) from file ", "secret.txt (never shown)",
		"app pkce", "pkce (OAuth PKCE", "redirect     http://localhost:8080/oauth/callback", "login page   https://www.coze.com",
		"app device", "device (OAuth 设备授权", "workspace    7001", "refreshes each user's grant from the grant store", "the gateway injects the token; /token never hands it out")
	for _, s := range []string{kindsPAT, kindsSecret} {
		if strings.Contains(out+errOut, s) {
			t.Fatalf("config check shows a secret:\n%s", out)
		}
	}
	noSecrets(t, out, pkcs8PEM(t, keyA))
}

// TestDoctorUserDelegatedKinds: doctor checks what serve needs of web,
// PKCE and device apps (a redirect URI ending in /oauth/callback, the
// client secret), fails none of them here, says why it obtained no token,
// and never shows a secret.
func TestDoctorUserDelegatedKinds(t *testing.T) {
	cfg := kindsConfig(t)
	for _, k := range []string{"web", "pkce"} {
		out, errOut, code := cli(t, "", "doctor", "--config", cfg, "--app", k)
		if code != 1 {
			t.Errorf("%s: exit %d, want 1 (no token obtained)", k, code)
		}
		wantAll(t, out, "✓ configuration", "a "+k+" app gets tokens only once a user has logged in", "✓ redirect URI")
		if strings.Contains(out, "✗") || strings.Contains(out+errOut, kindsSecret) {
			t.Errorf("%s: a failed check or a secret:\n%s%s", k, out, errOut)
		}
		out, _, _ = cli(t, "", "doctor", "--json", "--config", cfg, "--app", k)
		var rep struct {
			Kind       string `json:"kind"`
			NotChecked bool   `json:"not_checked"`
			OK         bool   `json:"ok"`
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Kind != k || !rep.NotChecked || rep.OK {
			t.Errorf("%s: JSON report %+v (%v):\n%s", k, rep, err, out)
		}
	}
}

// TestDoctorWrongRedirect: a redirect URI serve cannot finish logins on
// is a failed check with the fix.
func TestDoctorWrongRedirect(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "secret.txt", kindsSecret+"\n", 0o600)
	cfg := writeConfig(t, dir, app{name: "web", region: "cn", clientID: testAppID,
		extra: "    kind: web\n    client_secret_file: secret.txt\n    redirect_uri: https://a.example/cb\n"})
	out, _, code := cli(t, "", "doctor", "--config", cfg)
	if code != 1 {
		t.Fatalf("exit %d", code)
	}
	wantAll(t, out, "✗ redirect URI", "does not end in /oauth/callback", "fix:")
}

// TestDoctorDevice: doctor asks Coze for a device code, which only a
// device app of the region gets; a refusal names the likely cause.
func TestDoctorDevice(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	emu.AddDeviceApp(testAppID)
	cz := httptest.NewServer(emu)
	t.Cleanup(cz.Close)
	dir := t.TempDir()
	good := writeConfig(t, dir, app{name: "tv", apiBase: cz.URL, clientID: testAppID, extra: "    kind: device\n"})
	out, errOut, code := cli(t, "", "doctor", "--config", good)
	if code != 1 || strings.Contains(out, "✗") {
		t.Fatalf("device app: exit %d\n%s%s", code, out, errOut)
	}
	wantAll(t, out, "✓ device code", "Coze gave a device code", "cozeauth login --app tv", "a device app gets tokens only once a user has logged in")
	sub := filepath.Join(dir, "other")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	bad := writeConfig(t, sub, app{name: "tv", apiBase: cz.URL, clientID: "1170000000999", extra: "    kind: device\n"})
	out, errOut, code = cli(t, "", "doctor", "--config", bad)
	if code != 1 {
		t.Fatalf("unknown device app: exit %d\n%s%s", code, out, errOut)
	}
	wantAll(t, out, "✗ device code", "Coze refused the device code request", "not a device app", "fix:")
}

// TestDoctorPAT: doctor shows a PAT to Coze; an accepted one is a token
// obtained (exit 0), a refused one a failed check with its likely cause.
func TestDoctorPAT(t *testing.T) {
	emu := emulator.New(emulator.Options{})
	emu.AddPAT(kindsPAT, "7310000000000000099")
	cz := httptest.NewServer(emu)
	t.Cleanup(cz.Close)
	dir := t.TempDir()
	writeFile(t, dir, "pat.txt", kindsPAT+"\n", 0o600)
	writeFile(t, dir, "other.txt", "pat_someone_elses_token_00000000\n", 0o600)
	good := writeConfig(t, dir, app{name: "pat", apiBase: cz.URL, extra: "    kind: pat\n    token_file: pat.txt\n"})
	out, errOut, code := cli(t, "", "doctor", "--config", good)
	if code != 0 {
		t.Fatalf("accepted PAT: exit %d\n%s%s", code, out, errOut)
	}
	wantAll(t, out, "✓ token accepted", "7310000000000000099")
	sub := filepath.Join(dir, "bad")
	if err := os.Mkdir(sub, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, sub, "other.txt", "pat_someone_elses_token_00000000\n", 0o600)
	bad := writeConfig(t, sub, app{name: "pat", apiBase: cz.URL, extra: "    kind: pat\n    token_file: other.txt\n"})
	out, errOut, code = cli(t, "", "doctor", "--config", bad)
	if code != 1 {
		t.Fatalf("refused PAT: exit %d\n%s%s", code, out, errOut)
	}
	wantAll(t, out, "✗ token accepted", "Coze refuses the token", "fix:")
	if strings.Contains(out+errOut, kindsPAT) || strings.Contains(out+errOut, "pat_someone_elses") {
		t.Fatal("doctor showed a token")
	}
}

// TestTokenRefusesOtherKinds: `cozeauth token` and `jwt sign` explain
// that they serve JWT apps only, instead of failing obscurely.
func TestTokenRefusesOtherKinds(t *testing.T) {
	cfg := kindsConfig(t)
	for _, args := range [][]string{{"token", "--config", cfg, "--app", "pat"}, {"jwt", "sign", "--config", cfg, "--app", "web"}} {
		out, errOut, code := cli(t, "", args...)
		if code == 0 || !strings.Contains(errOut, "for JWT apps (kind jwt) only") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, errOut)
		}
	}
}

// TestSourcesForEveryKind: without a grant store, a config with web,
// PKCE or device apps is refused up front, naming the app; with one,
// every kind gets its Source, and a pat app's is its token.
func TestSourcesForEveryKind(t *testing.T) {
	c, err := config.LoadFile(kindsConfig(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sources(c, newClient(), nil); !errors.Is(err, credential.ErrNoStore) || !strings.Contains(err.Error(), `"web"`) {
		t.Fatalf("no store: %v", err)
	}
	newSource, err := sources(c, newClient(), grant.NewMemory())
	if err != nil {
		t.Fatal(err)
	}
	for i := range c.Apps {
		if newSource(&c.Apps[i]) == nil {
			t.Errorf("app %s has no source", c.Apps[i].Name)
		}
	}
	b := newBroker(c, newSource, nil, nil)
	defer b.Close()
	tok, _, err := b.Token(t.Context(), broker.Request{App: "pat", Session: "s"})
	if err != nil || tok.AccessToken != kindsPAT {
		t.Fatalf("pat app: %v", err)
	}
	var nl *credential.NeedsLogin
	if _, _, err := b.Token(t.Context(), broker.Request{App: "web", Session: "nobody"}); !errors.As(err, &nl) {
		t.Fatalf("web app without a login: %v, want NeedsLogin", err)
	}
}
