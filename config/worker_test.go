package config_test

import (
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// The Worker signed aud = AUDIENCE || "api.coze.cn" whatever TOKEN_ENDPOINT
// named: its environment, moved over with TOKEN_ENDPOINT pointing at an
// egress proxy, must sign api.coze.cn and exchange at the proxy.
func TestWorkerEnvBehindEgressProxy(t *testing.T) {
	keys(t)
	const proxy = "https://egress.internal.example:8443/api/permission/oauth2/token"
	tests := []struct {
		name       string
		env        map[string]string
		aud, token string
		region     coze.Region
	}{
		{"TOKEN_ENDPOINT at a proxy", with(workerEnv(), "TOKEN_ENDPOINT", proxy), "api.coze.cn", proxy, coze.RegionCN},
		{"and TOKEN_DURATION", with(workerEnv(), "TOKEN_ENDPOINT", proxy, "TOKEN_DURATION", "600"), "api.coze.cn", proxy, coze.RegionCN},
		{"AUDIENCE wins", with(workerEnv(), "TOKEN_ENDPOINT", proxy, "AUDIENCE", "api.coze.com"), "api.coze.com", proxy, ""},
		{"COZE_REGION com", with(workerEnv(), "TOKEN_ENDPOINT", proxy, "COZE_REGION", "com"), "api.coze.com", proxy, coze.RegionCOM},
		// Not the Worker's variables: a private deployment named by its API
		// base signs its own host, as before.
		{"COZE_API_BASE private deployment", with(workerEnv(), "COZE_API_BASE", "https://coze.corp.example"), "coze.corp.example",
			"https://coze.corp.example/api/permission/oauth2/token", ""},
		{"TOKEN_ENDPOINT on coze.com", with(workerEnv(), "TOKEN_ENDPOINT", "https://api.coze.com/api/permission/oauth2/token"), "api.coze.com",
			"https://api.coze.com/api/permission/oauth2/token", coze.RegionCOM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.LoadEnv(env(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			a := c.Apps[0]
			if a.Audience != tt.aud || a.Signer().Audience != tt.aud || a.TokenURL() != tt.token || a.Region != tt.region {
				t.Errorf("aud %q (signer %q), token URL %q, region %q; want aud %q, %q, region %q",
					a.Audience, a.Signer().Audience, a.TokenURL(), a.Region, tt.aud, tt.token, tt.region)
			}
		})
	}
	// The same proxy in a config file without a region keeps its host as
	// aud (documented: set region: cn).
	path := writeConfig(t, "apps:\n  - name: bot\n    client_id: \""+appCN+"\"\n    key_id: k\n    private_key_file: private_key.pem\n    token_url: "+proxy+"\n")
	c, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if aud := c.Apps[0].Audience; aud != "egress.internal.example:8443" && aud != "egress.internal.example" {
		t.Errorf("file config without region: aud %q", aud)
	}
}
