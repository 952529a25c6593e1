package config_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

const browserBase = `apps:
  - {name: bot, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem}
`

// TestExtensionOriginsAndUserScript reads allow_extension_origins and the
// user_script section as documented.
func TestExtensionOriginsAndUserScript(t *testing.T) {
	cfg, err := config.LoadFile(writeConfig(t, browserBase+`policies:
  - name: userscript
    apps: [bot]
    allow_extension_origins: [chrome-extension://abcdefghijklmnopabcdefghijklmnop/, "MOZ-EXTENSION://0a1b2c3d-0000-4000-8000-00000000000f"]
user_script:
  match: ["https://www.coze.cn/store/*", "*://*.coze.com/*"]
  public_url: https://Auth.Example.com/
`))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := cfg.Access.Policy("userscript")
	want := []string{"chrome-extension://abcdefghijklmnopabcdefghijklmnop", "moz-extension://0a1b2c3d-0000-4000-8000-00000000000f"}
	if !slices.Equal(p.ExtensionOrigins, want) {
		t.Errorf("extension origins %q, want %q", p.ExtensionOrigins, want)
	}
	for _, o := range want {
		if !p.AllowsOrigin(o) {
			t.Errorf("the policy refuses %s", o)
		}
	}
	if p.AllowsOrigin("chrome-extension://pppppppppppppppppppppppppppppppp") {
		t.Error("the policy admits an extension it does not list")
	}
	us := cfg.UserScript
	if !slices.Equal(us.Match, []string{"https://www.coze.cn/store/*", "*://*.coze.com/*"}) || us.PublicURL != "https://auth.example.com" {
		t.Errorf("user_script %+v", us)
	}
}

func TestExtensionOriginsAndUserScriptErrors(t *testing.T) {
	cases := []struct{ name, yaml, field string }{
		{"a web origin", "policies: [{name: p, apps: [bot], allow_extension_origins: ['https://a.b']}]", "policies[0].allow_extension_origins"},
		{"a wildcard", "policies: [{name: p, apps: [bot], allow_extension_origins: ['chrome-extension://*']}]", "policies[0].allow_extension_origins"},
		{"a short id", "policies: [{name: p, apps: [bot], allow_extension_origins: ['chrome-extension://abc']}]", "policies[0].allow_extension_origins"},
		{"on a public policy", "policies: [{name: p, apps: [bot], public: true, gateway_only: true, origins: [https://a.b], scope: {account_permission: {permission_list: [a]}}, rate_per_ip: 1/s, allow_extension_origins: ['chrome-extension://abcdefghijklmnopabcdefghijklmnop']}]", "policies[0].allow_extension_origins"},
		{"a match with a line break", "user_script: {match: [\"https://www.coze.cn/*\\n// @require https://evil.example/x.js\"]}", "user_script.match[0]"},
		{"a match without a path", "user_script: {match: [\"https://www.coze.cn\"]}", "user_script.match[0]"},
		{"a public URL with a path", "user_script: {public_url: https://auth.example.com/x}", "user_script.public_url"},
		{"a public URL of another scheme", "user_script: {public_url: ftp://auth.example.com}", "user_script.public_url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.LoadFile(writeConfig(t, browserBase+tc.yaml))
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
