package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// workerEnv is the Cloudflare Worker's minimal configuration.
func workerEnv() map[string]string {
	return map[string]string{
		"CLIENT_ID":   appCN,
		"PRIVATE_KEY": escapeNewlines(pem1),
		"KID":         "kid_worker",
	}
}

func with(m map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(m)+len(kv)/2)
	for k, v := range m {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(out, kv[i])
		} else {
			out[kv[i]] = kv[i+1]
		}
	}
	return out
}

func TestLoadEnvWorkerNames(t *testing.T) {
	keys(t)
	type want struct {
		region               coze.Region
		api, www, aud, token string
		account, enterprise  string
		duration             int
	}
	cn := want{coze.RegionCN, "https://api.coze.cn", "https://www.coze.cn", "api.coze.cn", "https://api.coze.cn/api/permission/oauth2/token", "", "", 900}
	com := want{coze.RegionCOM, "https://api.coze.com", "https://www.coze.com", "api.coze.com", "https://api.coze.com/api/permission/oauth2/token", "", "", 900}
	tests := []struct {
		name string
		env  map[string]string
		want want
	}{
		{"defaults to cn", workerEnv(), cn},
		{"PKCS#1 key with real newlines", with(workerEnv(), "PRIVATE_KEY", pem1v1), cn},
		{"PKCS#1 key with literal \\n", with(workerEnv(), "PRIVATE_KEY", escapeNewlines(pem1v1)), cn},
		{"explicit cn audience and endpoint", with(workerEnv(), "AUDIENCE", "api.coze.cn", "TOKEN_ENDPOINT", "https://api.coze.cn/api/permission/oauth2/token"), cn},
		{"AUDIENCE com", with(workerEnv(), "AUDIENCE", "api.coze.com"), com},
		{"TOKEN_ENDPOINT com", with(workerEnv(), "TOKEN_ENDPOINT", "https://api.coze.com/api/permission/oauth2/token"), com},
		{"TOKEN_ENDPOINT account variant", with(workerEnv(), "TOKEN_ENDPOINT", "https://api.coze.cn/api/permission/oauth2/account/8812345/token"),
			want{coze.RegionCN, "https://api.coze.cn", "https://www.coze.cn", "api.coze.cn", "https://api.coze.cn/api/permission/oauth2/account/8812345/token", "8812345", "", 900}},
		{"TOKEN_ENDPOINT enterprise variant", with(workerEnv(), "TOKEN_ENDPOINT", "https://api.coze.com/api/permission/oauth2/enterprise_id/ent_7/token"),
			want{coze.RegionCOM, "https://api.coze.com", "https://www.coze.com", "api.coze.com", "https://api.coze.com/api/permission/oauth2/enterprise_id/ent_7/token", "", "ent_7", 900}},
		{"TOKEN_DURATION", with(workerEnv(), "TOKEN_DURATION", "3600"), want{cn.region, cn.api, cn.www, cn.aud, cn.token, "", "", 3600}},
		{"TOKEN_DURATION max", with(workerEnv(), "TOKEN_DURATION", "86399"), want{cn.region, cn.api, cn.www, cn.aud, cn.token, "", "", 86399}},
		{"TOKEN_DURATION with spaces", with(workerEnv(), "TOKEN_DURATION", " 60 "), want{cn.region, cn.api, cn.www, cn.aud, cn.token, "", "", 60}},
		{"COZE_REGION com", with(workerEnv(), "COZE_REGION", "com"), com},
		{"COZE_API_BASE with trailing slash", with(workerEnv(), "COZE_API_BASE", "https://api.coze.com/"), com},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.LoadEnv(env(tt.env))
			if err != nil {
				t.Fatalf("LoadEnv: %v", err)
			}
			if c.Source != "environment" || len(c.Apps) != 1 || c.DefaultApp != "default" {
				t.Fatalf("config = source %q, %d apps, default %q", c.Source, len(c.Apps), c.DefaultApp)
			}
			a, ok := c.App("")
			if !ok {
				t.Fatal("no default app")
			}
			got := want{a.Region, a.APIBase, a.WWWBase, a.Audience, a.TokenURL(), a.AccountID, a.EnterpriseID, a.Duration}
			if got != tt.want {
				t.Errorf("app = %+v\nwant  %+v", got, tt.want)
			}
			if a.Name != "default" || a.Kind != "jwt" || a.ClientID != appCN || a.JWT.KeyID != "kid_worker" {
				t.Errorf("app identity = %q %q %q %q", a.Name, a.Kind, a.ClientID, a.JWT.KeyID)
			}
			if a.JWT.Key == nil || !a.JWT.Key.Equal(key1) {
				t.Error("app key is not the configured key")
			}
			if a.JWT.KeySource != "PRIVATE_KEY" {
				t.Errorf("KeySource = %q, want PRIVATE_KEY", a.JWT.KeySource)
			}
			if a.JWT.AssertionTTL != coze.DefaultAssertionTTL || a.Scope != nil {
				t.Errorf("AssertionTTL %v, Scope %v", a.JWT.AssertionTTL, a.Scope)
			}
			s := a.Signer()
			if s.ClientID != appCN || s.KeyID != "kid_worker" || s.Audience != tt.want.aud || s.Key != a.JWT.Key || s.TTL != a.JWT.AssertionTTL {
				t.Errorf("Signer = %+v", s)
			}
			// Server-wide defaults.
			if c.Listen != config.DefaultListen || c.DefaultSession != config.DefaultSession ||
				c.Cache.MaxEntries != config.DefaultMaxEntries || c.Cache.Skew != 30*time.Second {
				t.Errorf("defaults: listen %q session %q cache %+v", c.Listen, c.DefaultSession, c.Cache)
			}
		})
	}
}

func TestLoadEnvSDKNames(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	keyPath := writeFile(t, filepath.Join(dir, "private_key.pem"), pem1)
	tests := []struct {
		name   string
		env    map[string]string
		region coze.Region
		api    string
	}{
		{"file path, com base", map[string]string{
			"COZE_JWT_OAUTH_CLIENT_ID":             appCOM,
			"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH": keyPath,
			"COZE_JWT_OAUTH_PUBLIC_KEY_ID":         "kid_sdk",
			"COZE_API_BASE":                        "https://api.coze.com",
		}, coze.RegionCOM, "https://api.coze.com"},
		{"file path, no base means cn", map[string]string{
			"COZE_JWT_OAUTH_CLIENT_ID":             appCOM,
			"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH": keyPath,
			"COZE_JWT_OAUTH_PUBLIC_KEY_ID":         "kid_sdk",
		}, coze.RegionCN, "https://api.coze.cn"},
		{"COZE_APP_ID, COZE_KEY_ID, COZE_AUD, inline key", map[string]string{
			"COZE_APP_ID":                appCOM,
			"COZE_JWT_OAUTH_PRIVATE_KEY": escapeNewlines(pem1),
			"COZE_KEY_ID":                "kid_sdk",
			"COZE_AUD":                   "api.coze.com",
		}, coze.RegionCOM, "https://api.coze.com"},
		{"COZE_CLIENT_ID", map[string]string{
			"COZE_CLIENT_ID":                       appCOM,
			"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH": keyPath,
			"COZE_JWT_OAUTH_PUBLIC_KEY_ID":         "kid_sdk",
		}, coze.RegionCN, "https://api.coze.cn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.LoadEnv(env(tt.env))
			if err != nil {
				t.Fatalf("LoadEnv: %v", err)
			}
			a := &c.Apps[0]
			if a.ClientID != appCOM || a.JWT.KeyID != "kid_sdk" || a.Region != tt.region || a.APIBase != tt.api || a.Audience != tt.region.Audience() {
				t.Errorf("app = %+v", a)
			}
			if a.JWT.Key == nil || !a.JWT.Key.Equal(key1) {
				t.Error("wrong key")
			}
			if _, isFile := tt.env["COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH"]; isFile && a.JWT.KeySource != "file "+keyPath {
				t.Errorf("KeySource = %q, want file %s", a.JWT.KeySource, keyPath)
			}
		})
	}
}

func TestLoadEnvPrecedenceAndExtras(t *testing.T) {
	keys(t)
	// The Worker's name wins over the SDK's when both are set.
	e := with(workerEnv(), "COZE_JWT_OAUTH_CLIENT_ID", appCOM, "COZE_JWT_OAUTH_PUBLIC_KEY_ID", "kid_other",
		"COZEAUTH_LISTEN", ":9999", "COZEAUTH_DEFAULT_SESSION", "访客")
	c, err := config.LoadEnv(env(e))
	if err != nil {
		t.Fatal(err)
	}
	if a := c.Apps[0]; a.ClientID != appCN || a.JWT.KeyID != "kid_worker" {
		t.Errorf("client %q kid %q; want the Worker's names to win", a.ClientID, a.JWT.KeyID)
	}
	if c.Listen != ":9999" || c.DefaultSession != "访客" {
		t.Errorf("listen %q, default session %q", c.Listen, c.DefaultSession)
	}
}

func TestLoadEnvErrors(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	tests := []struct {
		name  string
		env   map[string]string
		field string // FieldError.Field
		msg   string // substring of the FieldError's text
	}{
		{"missing KID", with(workerEnv(), "KID", ""), "KID", "missing"},
		{"missing CLIENT_ID", with(workerEnv(), "CLIENT_ID", ""), "CLIENT_ID", "missing"},
		{"non-numeric CLIENT_ID", with(workerEnv(), "CLIENT_ID", "my-bot"), "CLIENT_ID", `"my-bot" is not a numeric app id`},
		{"missing PRIVATE_KEY", with(workerEnv(), "PRIVATE_KEY", "", "COZE_API_BASE", "https://api.coze.cn"), "PRIVATE_KEY", "missing"},
		{"PRIVATE_KEY garbage", with(workerEnv(), "PRIVATE_KEY", "not a key"), "PRIVATE_KEY", "not PEM"},
		{"PRIVATE_KEY is the public key", with(workerEnv(), "PRIVATE_KEY", escapeNewlines(pubPEM1)), "PRIVATE_KEY", "public key"},
		{"PRIVATE_KEY and PRIVATE_KEY_FILE", with(workerEnv(), "PRIVATE_KEY_FILE", "/k.pem"), "PRIVATE_KEY", "not both"},
		{"PRIVATE_KEY_FILE missing", with(workerEnv(), "PRIVATE_KEY", "", "PRIVATE_KEY_FILE", filepath.Join(dir, "nope.pem")), "PRIVATE_KEY_FILE", "cannot read"},
		{"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH missing", with(workerEnv(), "PRIVATE_KEY", "", "COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH", filepath.Join(dir, "nope.pem")),
			"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH", "cannot read"},
		{"TOKEN_DURATION 0", with(workerEnv(), "TOKEN_DURATION", "0"), "TOKEN_DURATION", "out of range"},
		{"TOKEN_DURATION 99999", with(workerEnv(), "TOKEN_DURATION", "99999"), "TOKEN_DURATION", "99999 is out of range"},
		{"TOKEN_DURATION 86400", with(workerEnv(), "TOKEN_DURATION", "86400"), "TOKEN_DURATION", "out of range"},
		{"TOKEN_DURATION negative", with(workerEnv(), "TOKEN_DURATION", "-5"), "TOKEN_DURATION", "out of range"},
		{"TOKEN_DURATION abc", with(workerEnv(), "TOKEN_DURATION", "abc"), "TOKEN_DURATION", `"abc" is not a number`},
		{"TOKEN_DURATION 15m", with(workerEnv(), "TOKEN_DURATION", "15m"), "TOKEN_DURATION", "not a number"},
		{"KID holds a PEM", with(workerEnv(), "KID", escapeNewlines(pubPEM1)), "KID", "does not look like a public key id"},
		{"COZE_REGION unknown", with(workerEnv(), "COZE_REGION", "eu"), "COZE_REGION", "unknown region"},
		{"TOKEN_ENDPOINT not a token URL", with(workerEnv(), "TOKEN_ENDPOINT", "https://api.coze.cn/v1/chat"), "TOKEN_ENDPOINT", "not a Coze token URL"},
		{"TOKEN_ENDPOINT relative", with(workerEnv(), "TOKEN_ENDPOINT", "/api/permission/oauth2/token"), "TOKEN_ENDPOINT", "not a Coze token URL"},
		{"COZE_API_BASE without scheme", with(workerEnv(), "COZE_API_BASE", "api.coze.com"), "COZE_API_BASE", "not an http(s) URL"},
		{"COZEAUTH_DEFAULT_SESSION with a newline", with(workerEnv(), "COZEAUTH_DEFAULT_SESSION", "a\nb"), "default_session", "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.LoadEnv(env(tt.env))
			if err == nil {
				t.Fatal("LoadEnv succeeded")
			}
			fe := findProblem(t, err, tt.field, tt.msg)
			if fe == nil {
				return
			}
			if fe.Source != "environment" {
				t.Errorf("Source = %q, want environment", fe.Source)
			}
			if !strings.Contains(err.Error(), tt.field) {
				t.Errorf("error text does not name %s:\n%v", tt.field, err)
			}
			// errors.As reaches a FieldError through the list.
			var any *config.FieldError
			if !errors.As(err, &any) || any.Source == "" || any.Field == "" {
				t.Errorf("errors.As(*FieldError) = %+v", any)
			}
		})
	}
}

func TestLoadEnvReportsEveryProblem(t *testing.T) {
	keys(t)
	_, err := config.LoadEnv(env(map[string]string{
		"CLIENT_ID":      "bot-name",
		"PRIVATE_KEY":    "garbage",
		"TOKEN_DURATION": "99999",
		"COZE_REGION":    "mars",
	}))
	if err == nil {
		t.Fatal("LoadEnv succeeded")
	}
	ps := problems(t, err)
	want := map[string]bool{"CLIENT_ID": true, "KID": true, "PRIVATE_KEY": true, "TOKEN_DURATION": true, "COZE_REGION": true}
	for _, p := range ps {
		delete(want, p.Field)
	}
	if len(want) > 0 {
		t.Errorf("problems not reported for %v in:\n%v", want, err)
	}
	if !strings.HasPrefix(err.Error(), "invalid configuration (") || !strings.Contains(err.Error(), "problems):") {
		t.Errorf("error header: %q", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	if got := strings.Count(err.Error(), "\n  - "); got != len(ps) {
		t.Errorf("error text lists %d problems, Problems has %d", got, len(ps))
	}
}

func TestEnvSet(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want bool
	}{
		{nil, false},
		{map[string]string{"KID": "k", "COZE_API_BASE": "https://api.coze.com"}, false},
		{map[string]string{"COZE_API_TOKEN": "pat_x"}, true},
		{map[string]string{"COZE_API_TOKEN_FILE": "pat.txt"}, true},
		{map[string]string{"COZE_CLIENT_SECRET": "s"}, true},
		{map[string]string{"COZEAUTH_APP_KIND": "device"}, true},
		{map[string]string{"COZE_REDIRECT_URL": "https://a.example/cb", "COZE_WORKSPACE_ID": "1"}, false},
		{map[string]string{"CLIENT_ID": "1"}, true},
		{map[string]string{"PRIVATE_KEY": "x"}, true},
		{map[string]string{"COZE_JWT_OAUTH_CLIENT_ID": "1"}, true},
		{map[string]string{"COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH": "k.pem"}, true},
		{map[string]string{"COZE_OAUTH_CONFIG": "coze_oauth_config.json"}, true},
	}
	for _, tt := range tests {
		if got := config.EnvSet(env(tt.env)); got != tt.want {
			t.Errorf("EnvSet(%v) = %v, want %v", tt.env, got, tt.want)
		}
	}
}
