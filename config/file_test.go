package config_test

import (
	"encoding/json"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// consoleJSON renders a coze_oauth_config.json the way the console does:
// the private key a JSON string, its newlines as \n escapes.
func consoleJSON(t testing.TB, fields map[string]any) string {
	t.Helper()
	b, err := json.MarshalIndent(fields, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `\n`) && fields["private_key"] != nil {
		t.Fatal("expected \\n escapes in the JSON")
	}
	return string(b)
}

func TestLoadFileTwoApps(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	sub := filepath.Join(dir, "etc", "cozeauth")
	writeFile(t, filepath.Join(sub, "keys", "cn.pem"), pem1)
	writeFile(t, filepath.Join(sub, "com.pem"), pem2)
	path := writeFile(t, filepath.Join(sub, "cozeauth.yaml"), `
listen: 0.0.0.0:9000
default_session: 访客
default_app: global
cache:
  max_entries: 500
  skew: 45s
apps:
  - name: china
    region: cn
    client_id: "`+appCN+`"
    key_id: kid_cn
    private_key_file: keys/cn.pem
    duration_seconds: 3600
    assertion_ttl: 2m
    scope:
      account_permission:
        permission_list: [Connector.botChat]
      attribute_constraint:
        connector_bot_chat_attribute:
          bot_id_list: ["7000000000000000001"]
  - name: global
    region: com
    client_id: `+appCOM+`
    key_id: kid_com
    private_key_file: com.pem
    account_id: "8812345"
`)
	c, err := config.LoadFile(path)
	if err != nil {
		t.Fatalf("LoadFile: %v", err)
	}
	if c.Source != path || c.Listen != "0.0.0.0:9000" || c.DefaultSession != "访客" || c.DefaultApp != "global" {
		t.Errorf("config = source %q listen %q session %q default %q", c.Source, c.Listen, c.DefaultSession, c.DefaultApp)
	}
	if c.Cache.MaxEntries != 500 || c.Cache.Skew != 45*time.Second {
		t.Errorf("cache = %+v", c.Cache)
	}
	if len(c.Apps) != 2 {
		t.Fatalf("%d apps", len(c.Apps))
	}

	cn, ok := c.App("china")
	if !ok {
		t.Fatal("no app china")
	}
	if cn.Region != coze.RegionCN || cn.APIBase != "https://api.coze.cn" || cn.WWWBase != "https://www.coze.cn" || cn.Audience != "api.coze.cn" ||
		cn.TokenURL() != "https://api.coze.cn/api/permission/oauth2/token" {
		t.Errorf("china endpoints = %s %s %s %s %s", cn.Region, cn.APIBase, cn.WWWBase, cn.Audience, cn.TokenURL())
	}
	if cn.ClientID != appCN || cn.JWT.KeyID != "kid_cn" || cn.Duration != 3600 || cn.JWT.AssertionTTL != 2*time.Minute {
		t.Errorf("china = %q %q %d %v", cn.ClientID, cn.JWT.KeyID, cn.Duration, cn.JWT.AssertionTTL)
	}
	if cn.JWT.Key == nil || !cn.JWT.Key.Equal(key1) {
		t.Error("china key is not keys/cn.pem")
	}
	if want := "file " + filepath.Join(sub, "keys", "cn.pem"); cn.JWT.KeySource != want {
		t.Errorf("china KeySource = %q, want %q (relative to the config file)", cn.JWT.KeySource, want)
	}
	if cn.Scope == nil || cn.Scope.AccountPermission == nil || strings.Join(cn.Scope.AccountPermission.PermissionList, ",") != "Connector.botChat" ||
		cn.Scope.AttributeConstraint == nil || cn.Scope.AttributeConstraint.ConnectorBotChatAttribute == nil ||
		strings.Join(cn.Scope.AttributeConstraint.ConnectorBotChatAttribute.BotIDList, ",") != "7000000000000000001" {
		t.Errorf("china scope = %+v", cn.Scope)
	}

	com, ok := c.App("")
	if !ok || com.Name != "global" {
		t.Fatalf("default app = %v, %v", com, ok)
	}
	if com.Region != coze.RegionCOM || com.APIBase != "https://api.coze.com" || com.WWWBase != "https://www.coze.com" || com.Audience != "api.coze.com" ||
		com.TokenURL() != "https://api.coze.com/api/permission/oauth2/account/8812345/token" {
		t.Errorf("global endpoints = %s %s %s %s %s", com.Region, com.APIBase, com.WWWBase, com.Audience, com.TokenURL())
	}
	if com.ClientID != appCOM || com.Duration != coze.DefaultDuration || com.JWT.AssertionTTL != coze.DefaultAssertionTTL || com.Scope != nil {
		t.Errorf("global = %q %d %v %v", com.ClientID, com.Duration, com.JWT.AssertionTTL, com.Scope)
	}
	if com.JWT.Key == nil || !com.JWT.Key.Equal(key2) {
		t.Error("global key is not com.pem")
	}
	if _, ok := c.App("nope"); ok {
		t.Error("App(nope) found an app")
	}
}

func TestLoadFileDefaults(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "c.yaml"), `
apps:
  - name: only
    client_id: "`+appCN+`"
    key_id: k
    private_key: |
`+indent(pem1, "      "))
	c, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	a := c.Apps[0]
	if c.DefaultApp != "only" || c.Listen != config.DefaultListen || c.DefaultSession != config.DefaultSession ||
		c.Cache.MaxEntries != config.DefaultMaxEntries || c.Cache.Skew != 30*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	if a.Region != coze.RegionCN || a.APIBase != "https://api.coze.cn" || a.JWT.KeySource != "apps[0].private_key" || !a.JWT.Key.Equal(key1) {
		t.Errorf("app = %s %s %q", a.Region, a.APIBase, a.JWT.KeySource)
	}
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i := range lines {
		lines[i] = pre + lines[i]
	}
	return strings.Join(lines, "\n") + "\n"
}

func TestLoadFileEndpoints(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "k.pem"), pem1)
	tests := []struct {
		name                    string
		extra                   string
		region                  coze.Region
		api, www, aud, tokenURL string
	}{
		{"api_base com", "api_base: https://api.coze.com/", coze.RegionCOM, "https://api.coze.com", "https://www.coze.com", "api.coze.com", "https://api.coze.com/api/permission/oauth2/token"},
		{"audience com", "audience: api.coze.com", coze.RegionCOM, "https://api.coze.com", "https://www.coze.com", "api.coze.com", "https://api.coze.com/api/permission/oauth2/token"},
		{"token_url enterprise", "token_url: https://api.coze.cn/api/permission/oauth2/enterprise_id/e1/token", coze.RegionCN, "https://api.coze.cn", "https://www.coze.cn", "api.coze.cn", "https://api.coze.cn/api/permission/oauth2/enterprise_id/e1/token"},
		{"emulator", "api_base: http://127.0.0.1:8099\n    audience: api.coze.cn", "", "http://127.0.0.1:8099", "", "api.coze.cn", "http://127.0.0.1:8099/api/permission/oauth2/token"},
		{"emulator with region", "api_base: http://127.0.0.1:8099\n    region: cn", coze.RegionCN, "http://127.0.0.1:8099", "https://www.coze.cn", "api.coze.cn", "http://127.0.0.1:8099/api/permission/oauth2/token"},
		{"proxy without region", "api_base: http://127.0.0.1:8099", "", "http://127.0.0.1:8099", "", "127.0.0.1", "http://127.0.0.1:8099/api/permission/oauth2/token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "c.yaml"), `
apps:
  - name: a
    client_id: "1"
    key_id: k
    private_key_file: k.pem
    `+tt.extra+"\n")
			c, err := config.LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a := c.Apps[0]
			if a.Region != tt.region || a.APIBase != tt.api || a.WWWBase != tt.www || a.Audience != tt.aud || a.TokenURL() != tt.tokenURL {
				t.Errorf("app = region %q api %q www %q aud %q token %q", a.Region, a.APIBase, a.WWWBase, a.Audience, a.TokenURL())
			}
		})
	}
}

func TestLoadFileOAuthConfig(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	jsonPath := writeFile(t, filepath.Join(dir, "downloads", "coze_oauth_config.json"), consoleJSON(t, map[string]any{
		"client_type":    "jwt",
		"client_id":      appCOM,
		"private_key":    pem1,
		"public_key_id":  "kid_console",
		"coze_api_base":  "https://api.coze.com",
		"coze_www_base":  "https://www.coze.com",
		"some_new_field": "ignored",
	}))
	t.Run("as-is", func(t *testing.T) {
		path := writeFile(t, filepath.Join(dir, "a.yaml"), "apps:\n  - name: console\n    oauth_config_file: downloads/coze_oauth_config.json\n")
		c, err := config.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a := c.Apps[0]
		if a.Kind != "jwt" || a.ClientID != appCOM || a.JWT.KeyID != "kid_console" || a.Region != coze.RegionCOM ||
			a.APIBase != "https://api.coze.com" || a.WWWBase != "https://www.coze.com" || a.Audience != "api.coze.com" {
			t.Errorf("app = %+v", a)
		}
		if a.JWT.Key == nil || !a.JWT.Key.Equal(key1) {
			t.Error("key is not the JSON's private_key")
		}
		if !strings.Contains(a.JWT.KeySource, jsonPath) {
			t.Errorf("KeySource = %q, want it to name %s", a.JWT.KeySource, jsonPath)
		}
	})
	t.Run("YAML fields win", func(t *testing.T) {
		writeFile(t, filepath.Join(dir, "other.pem"), pem2)
		path := writeFile(t, filepath.Join(dir, "b.yaml"), `
apps:
  - name: console
    oauth_config_file: downloads/coze_oauth_config.json
    key_id: kid_yaml
    private_key_file: other.pem
`)
		c, err := config.LoadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		a := c.Apps[0]
		if a.JWT.KeyID != "kid_yaml" || a.ClientID != appCOM || !a.JWT.Key.Equal(key2) {
			t.Errorf("key id %q client %q key2 %v", a.JWT.KeyID, a.ClientID, a.JWT.Key.Equal(key2))
		}
	})
	t.Run("from COZE_OAUTH_CONFIG", func(t *testing.T) {
		c, err := config.LoadEnv(env(map[string]string{"COZE_OAUTH_CONFIG": jsonPath}))
		if err != nil {
			t.Fatal(err)
		}
		a := c.Apps[0]
		if a.ClientID != appCOM || a.JWT.KeyID != "kid_console" || a.Region != coze.RegionCOM || !a.JWT.Key.Equal(key1) {
			t.Errorf("app = %+v", a)
		}
	})
}

func TestLoadFileOAuthConfigErrors(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "web.json"), consoleJSON(t, map[string]any{
		"client_type":   "web",
		"client_id":     appCN,
		"client_secret": "s3cr3t-web-secret",
		"redirect_uris": []string{"http://localhost:8080/callback"},
		"coze_api_base": "https://api.coze.cn",
	}))
	writeFile(t, filepath.Join(dir, "saml.json"), consoleJSON(t, map[string]any{"client_type": "saml", "client_id": appCN, "client_secret": "s3cr3t-web-secret"}))
	writeFile(t, filepath.Join(dir, "notjson.json"), "client_type: jwt\n")
	tests := []struct {
		name, file, field, msg string
	}{
		{"unknown client_type", "saml.json", "apps[0].oauth_config_file.client_type", `has client_type "saml"`},
		{"missing file", "nope.json", "apps[0].oauth_config_file", "cannot read"},
		{"not JSON", "notjson.json", "apps[0].oauth_config_file", "not a coze_oauth_config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "c.yaml"), "apps:\n  - name: a\n    oauth_config_file: "+tt.file+"\n")
			_, err := config.LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded")
			}
			fe := findProblem(t, err, tt.field, tt.msg)
			if fe != nil && (fe.Source != path || fe.Fix == "") {
				t.Errorf("problem = %+v, want Source %s and a fix", fe, path)
			}
			if tt.name == "unknown client_type" {
				if !strings.Contains(err.Error(), "jwt, web, pkce or device") {
					t.Errorf("the error does not say which client types load:\n%v", err)
				}
				if strings.Contains(err.Error(), "s3cr3t-web-secret") {
					t.Errorf("error leaks the client secret:\n%v", err)
				}
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "k.pem"), pem1)
	app := func(extra string) string {
		return "apps:\n  - name: a\n    client_id: \"1\"\n    key_id: k\n    private_key_file: k.pem\n" + extra
	}
	tests := []struct {
		name, yaml, field, msg string
	}{
		{"unknown field", app("    clientid: 2\n"), "apps[0].clientid", `unknown field "clientid" in apps[0]`},
		{"unknown top-level field", "listen_addr: x\n" + app(""), "listen_addr", `unknown field "listen_addr" at the top level`},
		{"YAML syntax", "apps: [\n", "(file)", "yaml"},
		{"no apps", "listen: :8080\n", "apps", "no apps configured"},
		{"empty file", "", "apps", "no apps configured"},
		{"duplicate names", app("  - name: a\n    client_id: \"2\"\n    key_id: k2\n    private_key_file: k.pem\n"), "apps[1].name", `duplicate app name "a"`},
		{"default_app nowhere", "default_app: ghost\n" + app(""), "default_app", `no app named "ghost"`},
		{"bad app name", strings.Replace(app(""), "name: a", "name: my app", 1), "apps[0].name", "not valid"},
		{"kind unknown", app("    kind: saml\n"), "apps[0].kind", `unknown app kind "saml"`},
		{"JWT fields on a web app", app("    kind: web\n"), "apps[0].key_id", "key_id is a field of jwt apps, and this app is kind web"},
		{"channel web app", app("    kind: web\n    channel: true\n"), "apps[0].channel", "a web app is never a channel app"},
		{"region", app("    region: eu\n"), "apps[0].region", "unknown region"},
		{"duration", app("    duration_seconds: 99999\n"), "apps[0].duration_seconds", "out of range"},
		{"negative duration", app("    duration_seconds: -1\n"), "apps[0].duration_seconds", "out of range"},
		{"assertion_ttl short", app("    assertion_ttl: 1s\n"), "apps[0].assertion_ttl", "not valid"},
		{"assertion_ttl long", app("    assertion_ttl: 30d\n"), "apps[0].assertion_ttl", "not valid"},
		{"token_url", app("    token_url: https://api.coze.cn/token\n"), "apps[0].token_url", "not a Coze token URL"},
		{"account and enterprise", app("    account_id: \"1\"\n    enterprise_id: e\n"), "apps[0].account_id", "both set"},
		{"key inline and file", app("    private_key: x\n"), "apps[0].private_key", "not both"},
		{"key file missing", strings.Replace(app(""), "k.pem", "missing.pem", 1), "apps[0].private_key_file", "cannot read"},
		{"skew", "cache:\n  skew: forever\n" + app(""), "cache.skew", "not valid"},
		{"max_entries", "cache:\n  max_entries: -1\n" + app(""), "cache.max_entries", "out of range"},
		{"default_session", "default_session: \"a\\tb\"\n" + app(""), "default_session", "control character"},
		{"api_base", app("    api_base: api.coze.cn\n"), "apps[0].api_base", "not an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "c.yaml"), tt.yaml)
			_, err := config.LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile succeeded")
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error does not name the file %s:\n%v", path, err)
			}
			if fe := findProblem(t, err, tt.field, tt.msg); fe != nil && fe.Source != path {
				t.Errorf("Source = %q, want %q", fe.Source, path)
			}
		})
	}
}

func TestLoadFileReportsEveryProblem(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	path := writeFile(t, filepath.Join(dir, "c.yaml"), `
default_app: ghost
cache:
  skew: -1s
apps:
  - name: a
    client_id: abc
    key_id: ""
    private_key_file: missing.pem
    region: mars
    duration_seconds: 100000
  - name: a
    client_id: "2"
    key_id: k
    private_key: not a key
`)
	_, err := config.LoadFile(path)
	if err == nil {
		t.Fatal("LoadFile succeeded")
	}
	want := []string{"cache.skew", "apps[0].client_id", "apps[0].key_id", "apps[0].private_key_file", "apps[0].region",
		"apps[0].duration_seconds", "apps[1].private_key", "apps[1].name", "default_app"}
	got := map[string]bool{}
	for _, p := range problems(t, err) {
		got[p.Field] = true
		if p.Source != path || p.Msg == "" {
			t.Errorf("problem %+v lacks source or message", p)
		}
	}
	for _, f := range want {
		if !got[f] {
			t.Errorf("no problem reported for %s", f)
		}
	}
	var fe *config.FieldError
	if !errors.As(err, &fe) || fe.Source != path || fe.Field == "" {
		t.Errorf("errors.As(*FieldError) = %+v", fe)
	}
}

func TestLoadFileMissing(t *testing.T) {
	_, err := config.LoadFile(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("err = %v, want fs.ErrNotExist", err)
	}
}

func TestLoadFileKeyPaths(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	abs := writeFile(t, filepath.Join(dir, "keys", "k.pem"), pem1)
	confDir := filepath.Join(dir, "conf")
	tests := []struct{ name, keyPath, want string }{
		{"absolute", abs, abs},
		{"relative", "../keys/k.pem", abs},
		{"dot relative", "./../keys/k.pem", abs},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(confDir, "c.yaml"), "apps:\n  - name: a\n    client_id: \"1\"\n    key_id: k\n    private_key_file: "+tt.keyPath+"\n")
			c, err := config.LoadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if c.Apps[0].JWT.KeySource != "file "+tt.want || !c.Apps[0].JWT.Key.Equal(key1) {
				t.Errorf("KeySource = %q, want file %s", c.Apps[0].JWT.KeySource, tt.want)
			}
		})
	}
}
