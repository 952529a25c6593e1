package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// docExample returns the first YAML block of docs/access.md, so the
// documented example is proven to load.
func docExample(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../docs/access.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(data)
	if m == nil {
		t.Fatal("no yaml block in docs/access.md")
	}
	return strings.Replace(string(m[1]), "<openssl rand -hex 32>", strings.Repeat("ab", 32), 1)
}

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	keys(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "private_key.pem"), []byte(pem1), 0o600)
	path := filepath.Join(dir, "cozeauth.yaml")
	os.WriteFile(path, []byte(yaml), 0o600)
	return path
}

func TestDocumentedAccessExampleLoads(t *testing.T) {
	cfg, err := config.LoadFile(writeConfig(t, docExample(t)))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Access
	if a.Open() || len(a.Policies) != 3 || !strings.HasSuffix(a.KeysFile, "keys.yaml") {
		t.Fatalf("access = %+v", a)
	}
	w, _ := a.Policy("widget")
	if !w.Public || w.Session != policy.SessionCookie || w.Origins[0] != "https://shop.example.com" || w.PerIP.Burst != 5 {
		t.Fatalf("widget policy = %+v", w)
	}
	if got := w.PerIP.PerSecond; got < 0.16 || got > 0.17 {
		t.Fatalf("10/m parsed as %v/s", got)
	}
	if cfg.Apps[0].MintRate.PerSecond != 20 || cfg.Apps[0].MintRate.Burst != 40 {
		t.Fatalf("mint_rate = %+v", cfg.Apps[0].MintRate)
	}
	if len(a.Cookie.Secret) != 32 || a.Cookie.SameSite != "none" || !a.Cookie.Secure {
		t.Fatalf("cookie = %+v", a.Cookie)
	}
}

func TestAccessErrors(t *testing.T) {
	base := `apps:
  - {name: bot, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem}
`
	cases := []struct{ name, yaml, field string }{
		{"unknown app", "policies: [{name: p, apps: [nope]}]", "policies[0].apps"},
		{"public without origins", "policies: [{name: p, public: true, session: cookie, scope: {account_permission: {permission_list: [a]}}, rate_per_ip: 1/s}]", "policies[0].origins"},
		{"public trusting callers", "policies: [{name: p, apps: [bot], public: true, gateway_only: true, session: trust, origins: [https://a.b], scope: {account_permission: {permission_list: [a]}}, rate_per_ip: 1/s}]", "policies[0].session"},
		{"public without scope", "policies: [{name: p, public: true, origins: [https://a.b], session: cookie, rate_per_ip: 1/s}]", "policies[0].scope"},
		{"public without ip rate", "policies: [{name: p, public: true, origins: [https://a.b], session: cookie, scope: {account_permission: {permission_list: [a]}}}]", "policies[0].rate_per_ip"},
		{"wildcard origin", "policies: [{name: p, origins: ['*']}]", "policies[0].origins"},
		{"origin with path", "policies: [{name: p, origins: ['https://a.b/x']}]", "policies[0].origins"},
		{"bad rate", "policies: [{name: p, rate_per_key: fast}]", "policies[0].rate_per_key"},
		{"bad session mode", "policies: [{name: p, session: guess}]", "policies[0].session"},
		{"default scope beyond scope", "policies: [{name: p, apps: [bot], gateway_only: true, scope: {account_permission: {permission_list: [a]}}, default_scope: {account_permission: {permission_list: [b]}}}]", "policies[0].default_scope"},
		{"client with unknown policy", "clients: [{name: c, policy: nope, key_hash: 'sha256:" + strings.Repeat("0", 64) + "'}]", "clients[0].policy"},
		{"client with a key instead of a hash", "policies: [{name: p}]\nclients: [{name: c, policy: p, key_hash: cza_abc}]", "clients[0].key_hash"},
		{"bot constraint without bots", "policies: [{name: p, scope: {account_permission: {permission_list: [Connector.botChat]}, attribute_constraint: {connector_bot_chat_attribute: {}}}}]", "policies[0].scope.attribute_constraint.connector_bot_chat_attribute.bot_id_list"},
		{"bot constraint with an empty list", "policies: [{name: p, default_scope: {attribute_constraint: {connector_bot_chat_attribute: {bot_id_list: []}}}}]", "policies[0].default_scope.attribute_constraint.connector_bot_chat_attribute.bot_id_list"},
		{"two clients, one key", "policies: [{name: p}]\nclients: [{name: a, policy: p, key_hash: 'sha256:" + strings.Repeat("ab", 32) + "'}, {name: b, policy: p, key_hash: 'sha256:" + strings.Repeat("AB", 32) + "'}]", "clients"},
		{"policy without apps", "policies: [{name: p}]", "policies[0].apps"},
		{"policy with an empty app list", "policies: [{name: p, apps: []}]", "policies[0].apps"},
		{"scope on a non-channel app without gateway_only", "policies: [{name: p, apps: [bot], scope: {account_permission: {permission_list: [a]}}}]", "policies[0].gateway_only"},
		{"paths on a non-channel app without gateway_only", "policies: [{name: p, apps: [bot], paths: [/v3/chat]}]", "policies[0].gateway_only"},
		{"public on a non-channel app without gateway_only", "policies: [{name: p, apps: [bot], public: true, origins: [https://a.b], scope: {account_permission: {permission_list: [a]}}, rate_per_ip: 1/s}]", "policies[0].gateway_only"},
		{"empty permission list", "policies: [{name: p, apps: [bot], gateway_only: true, scope: {account_permission: {permission_list: []}}}]", "policies[0].scope.account_permission.permission_list"},
		{"workspace part without ids", "policies: [{name: p, apps: [bot], gateway_only: true, scope: {workspace_permission: {permission_list: [x]}}}]", "policies[0].scope.workspace_permission.workspace_id_list"},
		{"empty scope object", "policies: [{name: p, apps: [bot], gateway_only: true, scope: {}}]", "policies[0].scope"},
		{"default duration over the app's duration", "policies: [{name: p, apps: [bot], default_duration: 1800}]", "policies[0].default_duration"},
		{"fixed session with the namespace separator", "policies: [{name: p, apps: [bot], session: fixed, session_value: 'be1:alice'}]", "policies[0].session_value"},
		{"same_site none without secure", "cookie: {same_site: none}", "cookie.secure"},
		{"short cookie secret", "cookie: {secret: abcd}", "cookie.secret"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.LoadFile(writeConfig(t, base+tc.yaml))
			var fe *config.FieldError
			found := false
			for _, p := range unwrapAll(err) {
				if errors.As(p, &fe) && fe.Field == tc.field {
					found = true
				}
			}
			if !found {
				t.Fatalf("want a problem at %s, got %v", tc.field, err)
			}
		})
	}
}

func unwrapAll(err error) []error {
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce.Problems
	}
	return nil
}

func TestParseRate(t *testing.T) {
	for in, want := range map[string]policy.Rate{
		"":             {},
		"10/s":         {PerSecond: 10, Burst: 10},
		"60/m":         {PerSecond: 1, Burst: 1},
		"5/s burst 20": {PerSecond: 5, Burst: 20},
	} {
		got, err := config.ParseRate(in)
		if err != nil || got != want {
			t.Errorf("ParseRate(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, bad := range []string{"x", "0/s", "-1/s", "5/d", "5/s burst", "5/s burst 0", "5/s rate 3"} {
		if _, err := config.ParseRate(bad); err == nil {
			t.Errorf("ParseRate(%q) accepted", bad)
		}
	}
}

func TestWarnsAboutReadableSecrets(t *testing.T) {
	path := writeConfig(t, `apps:
  - {name: bot, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem}
`)
	keyFile := filepath.Join(filepath.Dir(path), "private_key.pem")
	os.Chmod(keyFile, 0o644)
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Warnings) != 1 || !strings.Contains(cfg.Warnings[0], "private_key.pem") || !strings.Contains(cfg.Warnings[0], "chmod 600") {
		t.Fatalf("warnings = %q", cfg.Warnings)
	}
	os.Chmod(keyFile, 0o600)
	if cfg, _ := config.LoadFile(path); len(cfg.Warnings) != 0 {
		t.Fatalf("warnings for private files: %q", cfg.Warnings)
	}
}
