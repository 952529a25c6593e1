package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// assertNoKeyMaterial fails if err's text, or any FieldError in it, holds a
// line of the PEM body.
func assertNoKeyMaterial(t *testing.T, err error, pemText string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	texts := []string{err.Error()}
	var ce *config.Error
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			var fe *config.FieldError
			if errors.As(p, &fe) {
				texts = append(texts, fe.Field, fe.Msg, fe.Fix, fe.Source)
			}
		}
	}
	for _, line := range bodyLines(pemText) {
		probe := line
		if len(probe) > 24 {
			probe = probe[8:24] // any 16 characters of the body
		}
		for _, s := range texts {
			if strings.Contains(s, probe) {
				t.Fatalf("error text leaks key material %q:\n%s", probe, s)
			}
		}
	}
}

// TestNoKeyMaterialInEnvErrors puts the private key where it does not
// belong, as people do when they mix up variables, and checks that no
// error message repeats it.
func TestNoKeyMaterialInEnvErrors(t *testing.T) {
	keys(t)
	oneLine := escapeNewlines(pem2)
	// A PEM that decodes but is not a usable key: its body is still secret.
	broken := strings.Replace(pem2, "MII", "MIX", 1)
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"key in CLIENT_ID", with(workerEnv(), "CLIENT_ID", oneLine)},
		{"key in CLIENT_ID, multi-line", with(workerEnv(), "CLIENT_ID", pem2)},
		{"key in KID", with(workerEnv(), "KID", oneLine)},
		{"key in PRIVATE_KEY_FILE", with(workerEnv(), "PRIVATE_KEY", "", "PRIVATE_KEY_FILE", oneLine)},
		{"key in PRIVATE_KEY_FILE, multi-line", with(workerEnv(), "PRIVATE_KEY", "", "PRIVATE_KEY_FILE", pem2)},
		{"key in COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH", with(workerEnv(), "PRIVATE_KEY", "", "COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH", oneLine)},
		{"key in COZE_OAUTH_CONFIG", map[string]string{"COZE_OAUTH_CONFIG": oneLine}},
		{"key in TOKEN_ENDPOINT", with(workerEnv(), "TOKEN_ENDPOINT", oneLine)},
		{"key in TOKEN_DURATION", with(workerEnv(), "TOKEN_DURATION", oneLine)},
		{"key in AUDIENCE", with(workerEnv(), "AUDIENCE", oneLine)},
		{"key in COZE_API_BASE", with(workerEnv(), "COZE_API_BASE", oneLine)},
		{"key in COZE_REGION", with(workerEnv(), "COZE_REGION", oneLine)},
		{"key in COZEAUTH_DEFAULT_SESSION", with(workerEnv(), "COZEAUTH_DEFAULT_SESSION", pem2)},
		{"corrupt key in PRIVATE_KEY", with(workerEnv(), "PRIVATE_KEY", escapeNewlines(broken))},
		{"key body without armour in PRIVATE_KEY", with(workerEnv(), "PRIVATE_KEY", strings.Join(bodyLines(pem2), ""))},
		{"key and a bad CLIENT_ID", with(workerEnv(), "PRIVATE_KEY", oneLine, "CLIENT_ID", "x", "KID", "")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.LoadEnv(env(tt.env))
			assertNoKeyMaterial(t, err, pem2)
		})
	}
}

func TestNoKeyMaterialInFileErrors(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "k.pem"), pem1)
	q := `"` + escapeNewlines(pem2) + `"` // a YAML double-quoted string with \n escapes
	// app is a valid app with field set to the key (added or replaced).
	app := func(field string) string {
		vals := map[string]string{"name": "a", "client_id": `"1"`, "key_id": "k", "private_key_file": "k.pem"}
		order := []string{"name", "client_id", "key_id", "private_key_file"}
		if _, ok := vals[field]; !ok {
			order = append(order, field)
		}
		vals[field] = q
		var b strings.Builder
		b.WriteString("apps:\n")
		for i, f := range order {
			if i == 0 {
				b.WriteString("  - ")
			} else {
				b.WriteString("    ")
			}
			b.WriteString(f + ": " + vals[f] + "\n")
		}
		return b.String()
	}
	tests := []struct{ name, yaml string }{
		{"key as app name", app("name")},
		{"key as client_id", app("client_id")},
		{"key as key_id", app("key_id")},
		{"key as private_key_file", app("private_key_file")},
		{"key as region", app("region")},
		{"key as token_url", app("token_url")},
		{"key as api_base", app("api_base")},
		{"key as audience", app("audience")},
		{"key as assertion_ttl", app("assertion_ttl")},
		{"key as oauth_config_file", app("oauth_config_file")},
		{"key as duration_seconds", app("duration_seconds")},
		{"key as kind", app("kind")},
		{"key as default_app", "default_app: " + q + "\n" + app("www_base")},
		{"key as default_session", "default_session: " + q + "\n" + app("www_base")},
		{"key as cache skew", "cache:\n  skew: " + q + "\n" + app("www_base")},
		{"key as listen (unknown field next to it)", "listen: " + q + "\nbogus: 1\n" + app("www_base")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, filepath.Join(dir, "c.yaml"), tt.yaml)
			_, err := config.LoadFile(path)
			assertNoKeyMaterial(t, err, pem2)
		})
	}
}
