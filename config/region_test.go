package config_test

import (
	"path/filepath"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// An app lives in one region; calling the other fails at Coze with "kid not
// been registred". A configuration that names two regions is refused up
// front.
func TestRegionMismatch(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "k.pem"), pem1)
	envTests := []struct {
		name  string
		env   map[string]string
		field string
	}{
		{"COZE_REGION com, COZE_API_BASE cn", with(workerEnv(), "COZE_REGION", "com", "COZE_API_BASE", "https://api.coze.cn"), "COZE_REGION"},
		{"COZE_REGION cn, TOKEN_ENDPOINT com", with(workerEnv(), "COZE_REGION", "cn", "TOKEN_ENDPOINT", "https://api.coze.com/api/permission/oauth2/token"), "COZE_REGION"},
		{"AUDIENCE com, TOKEN_ENDPOINT cn", with(workerEnv(), "AUDIENCE", "api.coze.com", "TOKEN_ENDPOINT", "https://api.coze.cn/api/permission/oauth2/token"), "AUDIENCE"},
		{"AUDIENCE cn, COZE_REGION com", with(workerEnv(), "AUDIENCE", "api.coze.cn", "COZE_REGION", "com"), "AUDIENCE"},
	}
	for _, tt := range envTests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.LoadEnv(env(tt.env))
			if err == nil {
				t.Fatal("LoadEnv accepted two regions")
			}
			findProblem(t, err, tt.field, "region")
		})
	}
	fileTests := []struct {
		name, extra, field string
	}{
		{"region com, api_base cn", "    region: com\n    api_base: https://api.coze.cn\n", "apps[0].region"},
		{"audience cn, api_base com", "    audience: api.coze.cn\n    api_base: https://api.coze.com\n", "apps[0].audience"},
	}
	for _, tt := range fileTests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "c.yaml"), "apps:\n  - name: a\n    client_id: \"1\"\n    key_id: k\n    private_key_file: k.pem\n"+tt.extra)
			_, err := config.LoadFile(path)
			if err == nil {
				t.Fatal("LoadFile accepted two regions")
			}
			findProblem(t, err, tt.field, "region")
		})
	}
	// Consistent settings, and private deployments that are in no public
	// region, are fine.
	okEnv := []map[string]string{
		with(workerEnv(), "COZE_REGION", "com", "COZE_API_BASE", "https://api.coze.com"),
		with(workerEnv(), "AUDIENCE", "api.coze.cn", "TOKEN_ENDPOINT", "https://api.coze.cn/api/permission/oauth2/token"),
		with(workerEnv(), "AUDIENCE", "api.coze.cn", "COZE_API_BASE", "http://127.0.0.1:8099"),
		with(workerEnv(), "COZE_REGION", "com", "COZE_API_BASE", "http://127.0.0.1:8099"),
	}
	for _, e := range okEnv {
		if _, err := config.LoadEnv(env(e)); err != nil {
			t.Errorf("LoadEnv(%v): %v", e, err)
		}
	}
}
