package config_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

func TestLoadPrecedence(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "k.pem"), pem1)
	fileYAML := "apps:\n  - name: from-file\n    client_id: \"1\"\n    key_id: k\n    private_key_file: k.pem\n"
	explicit := writeFile(t, filepath.Join(dir, "explicit.yaml"), fileYAML)
	viaEnv := writeFile(t, filepath.Join(dir, "via-env.yaml"), "apps:\n  - name: via-env\n    client_id: \"2\"\n    key_id: k\n    private_key_file: k.pem\n")
	cwdWith := filepath.Join(dir, "cwd")
	writeFile(t, filepath.Join(cwdWith, "cozeauth.yaml"), "apps:\n  - name: from-cwd\n    client_id: \"3\"\n    key_id: k\n    private_key_file: "+filepath.Join(dir, "k.pem")+"\n")
	empty := t.TempDir()

	tests := []struct {
		name    string
		cwd     string
		file    string
		env     map[string]string
		wantApp string // "" means ErrNoConfig
		source  string
	}{
		{"file over env", empty, explicit, workerEnv(), "from-file", explicit},
		{"file over COZEAUTH_CONFIG", empty, explicit, map[string]string{"COZEAUTH_CONFIG": viaEnv}, "from-file", explicit},
		{"COZEAUTH_CONFIG over env", empty, "", with(workerEnv(), "COZEAUTH_CONFIG", viaEnv), "via-env", viaEnv},
		{"env alone", empty, "", workerEnv(), "default", "environment"},
		{"./cozeauth.yaml when nothing else", cwdWith, "", nil, "from-cwd", "cozeauth.yaml"},
		// The documented order (Load's comment, README, serve --help):
		// ./cozeauth.yaml comes before environment variables.
		{"./cozeauth.yaml over env", cwdWith, "", workerEnv(), "from-cwd", "cozeauth.yaml"},
		{"COZEAUTH_CONFIG over ./cozeauth.yaml", cwdWith, "", map[string]string{"COZEAUTH_CONFIG": viaEnv}, "via-env", viaEnv},
		{"nothing", empty, "", nil, "", ""},
		{"unrelated env only", empty, "", map[string]string{"COZE_API_BASE": "https://api.coze.com", "KID": "k"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(tt.cwd)
			c, err := config.Load(config.Options{File: tt.file, Getenv: env(tt.env)})
			if tt.wantApp == "" {
				if !errors.Is(err, config.ErrNoConfig) {
					t.Fatalf("Load = %v, %v; want ErrNoConfig", c, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Source != tt.source || len(c.Apps) != 1 || c.Apps[0].Name != tt.wantApp {
				t.Errorf("Load: source %q app %q; want %q %q", c.Source, c.Apps[0].Name, tt.source, tt.wantApp)
			}
		})
	}
}

func TestLoadReportsFileErrors(t *testing.T) {
	t.Chdir(t.TempDir())
	// A named file that does not exist is an error, not a fall-back to
	// the environment.
	_, err := config.Load(config.Options{File: "missing.yaml", Getenv: env(workerEnv())})
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Load(missing file) = %v, want a not-exist error", err)
	}
	// Bad environment credentials are reported, not ErrNoConfig.
	_, err = config.Load(config.Options{Getenv: env(map[string]string{"CLIENT_ID": "x"})})
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Errorf("Load(bad env) = %v, want *config.Error", err)
	}
}

func TestLoadDefaultsToOSGetenv(t *testing.T) {
	keys(t)
	t.Chdir(t.TempDir())
	for k, v := range workerEnv() {
		t.Setenv(k, v)
	}
	c, err := config.Load(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Source != "environment" || c.Apps[0].ClientID != appCN {
		t.Errorf("Load from os env: %+v", c)
	}
}
