package main

import (
	"os"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

func TestConfigCheckValid(t *testing.T) {
	_, cfg, _ := cnSetup(t)
	out, errOut, code := cli(t, "", "config", "check", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	wantAll(t, out, "✓ "+cfg+": the configuration is valid", "app bot (default)", "jwt (服务类应用", "cn (coze.cn, 扣子)",
		"API base", "token URL", "/api/permission/oauth2/token", "aud          api.coze.cn", testAppID+" (应用ID)", testKid+" (公钥指纹)",
		"RSA 2048 bits, "+coze.Fingerprint(&keyA.PublicKey), "900 s (15 min)", "(none: the app's full permissions)")
	if strings.Contains(out, "!") {
		t.Errorf("warnings for 0600 files:\n%s", out)
	}
	noSecrets(t, out, pkcs8PEM(t, keyA))
}

func TestConfigCheckProblems(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	key := writeFile(t, dir, "private_key.pem", pkcs8PEM(t, keyA), 0o600)
	cfg := writeConfig(t, dir,
		app{name: "one", region: "cn", clientID: "my-bot", keyFile: key, extra: "    duration_seconds: 99999\n"},
		app{name: "two", region: "mars", clientID: testAppID, keyID: testKid, keyFile: dir + "/nope.pem"})
	out, _, code := cli(t, "", "config", "check", cfg)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var problems []string
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "✗ "+cfg+": ") {
			problems = append(problems, l)
		}
	}
	want := []string{"apps[0].client_id", "apps[0].key_id: missing", "apps[0].duration_seconds", "apps[1].region", "apps[1].private_key_file: cannot read"}
	if len(problems) != len(want) {
		t.Errorf("%d problem lines, want %d:\n%s", len(problems), len(want), out)
	}
	wantAll(t, strings.Join(problems, "\n"), want...)
	wantAll(t, out, "(fix: ", "app one", "app two", "(not loaded: see the problems above)")
}

func TestConfigCheckInlineKeyAndPermissions(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	pemText := pkcs8PEM(t, keyA)
	key := writeFile(t, dir, "private_key.pem", pemText, 0o644)
	inline := "    private_key: |\n      " + strings.ReplaceAll(strings.TrimSpace(pemText), "\n", "\n      ") + "\n"
	cfg := writeConfig(t, dir,
		app{name: "file", region: "com", clientID: testAppID, keyID: testKid, keyFile: key},
		app{name: "inline", region: "cn", clientID: testAppID, keyID: testKid, extra: inline})
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := cli(t, "", "config", "check", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	wantAll(t, out, "! "+key+" is readable by group or others (mode 0644)", "chmod 600 "+key,
		"! "+cfg+" is readable by group or others", "com (coze.com)", "from apps[1].private_key", "access         open")
	noSecrets(t, out, pemText)
}

func TestConfigCheckNoConfig(t *testing.T) {
	out, _, code := cli(t, "", "config", "check", t.TempDir()+"/nope.yaml")
	if code != 1 || !strings.HasPrefix(out, "✗ config file: open ") || !strings.Contains(out, "no such file") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

// noSecrets fails if out shows any line of the PEM's body.
func noSecrets(t *testing.T, out, pemText string) {
	t.Helper()
	for _, l := range strings.Split(pemText, "\n") {
		if len(l) > 20 && !strings.HasPrefix(l, "-----") && strings.Contains(out, l) {
			t.Fatalf("output shows private key material:\n%s", out)
		}
	}
	if strings.Contains(out, "PRIVATE KEY-----") {
		t.Fatalf("output shows a PEM:\n%s", out)
	}
}

// TestConfigCheckOAuthFileAndPolicies covers a console download holding
// the key (flagged when others can read it) and the access summary.
func TestConfigCheckOAuthFileAndPolicies(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	secret := pkcs8PEM(t, keyA)
	oauth := `{"client_type":"jwt","client_id":"` + testAppID + `","public_key_id":"` + testKid + `","coze_api_base":"https://api.coze.com",` +
		`"private_key":"` + strings.ReplaceAll(secret, "\n", `\n`) + `"}`
	oauthPath := writeFile(t, dir, "coze_oauth_config.json", oauth, 0o644)
	cfg := writeFile(t, dir, "cozeauth.yaml", `apps:
  - name: global
    oauth_config_file: ./coze_oauth_config.json
    mint_rate: 20/s burst 40
    channel: true
policies:
  - name: widget
    public: true
    apps: [global]
    origins: [https://shop.example.com]
    session: cookie
    scope:
      account_permission: {permission_list: [Connector.botChat]}
    max_duration: 600
    rate_per_ip: 10/m burst 5
cookie:
  secret: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
`, 0o600)
	out, errOut, code := cli(t, "", "config", "check", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	wantAll(t, out, "! "+oauthPath+" (a coze_oauth_config.json with the private key of app global) is readable by group or others",
		"com (coze.com)", "from "+oauthPath+": private_key", "mint cap", "20/s burst 40", "10/m burst 5",
		"policy widget", "cookie", "https://shop.example.com (public: true)", "Connector.botChat", "clients        0")
	noSecrets(t, out, secret)
	if strings.Contains(out, "0123456789abcdef") {
		t.Error("the cookie secret was printed")
	}
}

// A shared store is checked as serve checks it before connecting: the
// URL's form and the store key; the summary shows the URL without its
// password.
func TestConfigCheckStore(t *testing.T) {
	_, cfg, dir := cnSetup(t)
	raw, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("COZEAUTH_STORE", "")
	t.Setenv("COZEAUTH_STORE_KEY", "")

	bad := writeFile(t, dir, "bad.yaml", string(raw)+"store: htp://redis:6379/0\n", 0o600)
	out, _, code := cli(t, "", "config", "check", bad)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	wantAll(t, out, "✗ "+bad+": store: store URL htp://redis:6379/0: scheme \"htp\"",
		"✗ "+bad+": store_key_file: replicas seal what they share with the store key", "COZEAUTH_STORE_KEY",
		"✗ 2 problems")
	if strings.Contains(out, "the configuration is valid") {
		t.Errorf("a bad store passed:\n%s", out)
	}

	t.Setenv("COZEAUTH_STORE_KEY", strings.Repeat("ab", 32))
	good := writeFile(t, dir, "good.yaml", string(raw)+"store: redis://:s3cretpw@redis:6379/0\n", 0o600)
	out, errOut, code := cli(t, "", "config", "check", good)
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errOut, out)
	}
	wantAll(t, out, "the configuration is valid", "store          redis://:xxxxx@redis:6379/0")
	noSecrets(t, out+errOut, "s3cretpw")
}
