package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// TestEmulatorCommandServesAConfiguredApp: the standalone emulator and a
// serve pointed at it by environment variables give a token end to end.
func TestEmulatorCommandServesAConfiguredApp(t *testing.T) {
	dir := t.TempDir()
	pub, _ := coze.EncodePublicKey(&testKey().PublicKey)
	priv, _ := coze.EncodePrivateKey(testKey())
	os.WriteFile(filepath.Join(dir, "public_key.pem"), pub, 0o600)
	os.WriteFile(filepath.Join(dir, "private_key.pem"), priv, 0o600)
	emu, _, _ := startCLI(t, "emulator", "--listen", "127.0.0.1:0", "--pub", filepath.Join(dir, "public_key.pem"), "--client-id", "1170000000042", "--kid", "k1")
	t.Setenv("COZEAUTH_CONFIG", "")
	t.Setenv("CLIENT_ID", "1170000000042")
	t.Setenv("KID", "k1")
	t.Setenv("PRIVATE_KEY_FILE", filepath.Join(dir, "private_key.pem"))
	t.Setenv("COZE_API_BASE", emu)
	t.Setenv("AUDIENCE", "api.coze.cn")
	base, _, _ := startCLI(t, "serve", "--listen", "127.0.0.1:0", "--pprof", "127.0.0.1:0")
	if tok, _ := getToken(t, base, "e2e"); tok == "" {
		t.Fatal("no token")
	}
	if _, _, err := runCLI(t, "serve", "--demo", "--listen", "127.0.0.1:0", "--pprof", "0.0.0.0:6060"); err == nil {
		t.Fatal("--pprof on a public address was accepted")
	}
}

// emuPost posts JSON to the emulator's token or device endpoint.
func emuPost(t *testing.T, u, bearer string, body any) map[string]any {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, u, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	return m
}

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// TestEmulatorCommandRegistersEveryKind: without a JWT key the standalone
// emulator still registers a web, PKCE and device app and a PAT, prints
// their ids and secrets, and approves by --approve.
func TestEmulatorCommandRegistersEveryKind(t *testing.T) {
	t.Chdir(t.TempDir()) // no public_key.pem here
	base, out, _ := startCLI(t, "emulator", "--listen", "127.0.0.1:0", "--approve", "auto",
		"--web-secret", "s3cret", "--redirect-uri", "http://127.0.0.1:9/cb")
	text := out.String()
	for _, want := range []string{"no JWT app", "web app " + emuWebClientID + ", client secret s3cret", "pkce app " + emuPKCEClientID,
		"device app " + emuDeviceClientID, "http://127.0.0.1:9/cb", "consents: auto"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	pat := regexp.MustCompile(`personal access token (pat_[0-9a-f]{32}) `).FindStringSubmatch(text)
	if pat == nil {
		t.Fatalf("no PAT printed:\n%s", text)
	}

	// The PAT calls the API.
	req, _ := http.NewRequest(http.MethodGet, base+"/v1/users/me", nil)
	req.Header.Set("Authorization", "Bearer "+pat[1])
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 200 {
		t.Fatalf("PAT refused: %v", err)
	}

	// A web login, approved at once.
	q := url.Values{"response_type": {"code"}, "client_id": {emuWebClientID}, "redirect_uri": {"http://127.0.0.1:9/cb"}, "state": {"s"}}
	res, err := noFollow.Get(base + "/api/permission/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, _ := url.Parse(res.Header.Get("Location"))
	code := loc.Query().Get("code")
	if res.StatusCode != http.StatusFound || code == "" {
		t.Fatalf("authorize: %d %s", res.StatusCode, loc)
	}
	tok := emuPost(t, base+"/api/permission/oauth2/token", "s3cret", map[string]string{
		"grant_type": "authorization_code", "client_id": emuWebClientID, "code": code, "redirect_uri": "http://127.0.0.1:9/cb"})
	if tok["access_token"] == nil || tok["refresh_token"] == nil {
		t.Fatalf("code exchange: %v", tok)
	}

	// A device login, approved at once.
	dev := emuPost(t, base+"/api/permission/oauth2/device/code", "", map[string]string{"client_id": emuDeviceClientID})
	vu, _ := dev["verification_uri"].(string)
	if !strings.HasPrefix(vu, base) {
		t.Fatalf("device code: %v", dev)
	}
	res, err = http.Get(vu + "?user_code=" + dev["user_code"].(string))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `data-result="approved"`) {
		t.Fatalf("verification page: %s", body)
	}
	tok = emuPost(t, base+"/api/permission/oauth2/token", "", map[string]string{
		"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": emuDeviceClientID, "device_code": dev["device_code"].(string)})
	if tok["refresh_token"] == nil {
		t.Fatalf("device poll: %v", tok)
	}
}

// TestEmulatorCommandAsksByDefault: the default --approve shows the
// consent page.
func TestEmulatorCommandAsksByDefault(t *testing.T) {
	t.Chdir(t.TempDir())
	base, out, _ := startCLI(t, "emulator", "--listen", "127.0.0.1:0")
	if !strings.Contains(out.String(), "consents: ask") || !regexp.MustCompile(`client secret [0-9a-f]{32}\n`).MatchString(out.String()) {
		t.Errorf("output:\n%s", out)
	}
	q := url.Values{"response_type": {"code"}, "client_id": {emuPKCEClientID}, "redirect_uri": {emuRedirectURI},
		"code_challenge": {strings.Repeat("a", 43)}, "code_challenge_method": {"S256"}}
	res, err := noFollow.Get(base + "/api/permission/oauth2/authorize?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `id="approve"`) {
		t.Errorf("authorize: %d %s", res.StatusCode, body)
	}
}

func TestEmulatorCommandRefusesBadFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--approve", "yes"}, "--approve"},
		{[]string{"--redirect-uri", "/cb"}, "--redirect-uri"},
		{[]string{"--redirect-uri", "http://x/cb#frag"}, "fragment"},
		{[]string{"--user", ""}, "--user"},
		{[]string{"--pub", "missing.pem"}, "--pub"},
	} {
		_, _, err := runCLI(t, append([]string{"emulator", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}
