package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestTokenBare(t *testing.T) {
	emu, cfg, _ := cnSetup(t)
	out, errOut, code := cli(t, "", "token", "--config", cfg)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.HasPrefix(out, "czs_") || strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Errorf("stdout is not one bare token line: %q", out)
	}
	if errOut != "" {
		t.Errorf("stderr: %q", errOut)
	}
	if emu.MintsFor(testAppID, "default-session") != 1 {
		t.Error("the default session was not used")
	}
}

func TestTokenFlags(t *testing.T) {
	emu, cfg, dir := cnSetup(t)
	scope := `{"account_permission":{"permission_list":["Connector.botChat"]}}`
	out, errOut, code := cli(t, "", "token", "--config", cfg, "--app", "bot", "--session", "alice", "--duration", "1200", "--scope", scope, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var got struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type"`
		ExpiresAt   string `json:"expires_at"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if d := got.ExpiresIn - time.Now().Unix(); !strings.HasPrefix(got.AccessToken, "czs_") || got.TokenType != "Bearer" || d < 1100 || d > 1201 {
		t.Errorf("answer %+v (expires in %d s)", got, d)
	}
	if at, err := time.Parse(time.RFC3339, got.ExpiresAt); err != nil || at.Unix() != got.ExpiresIn {
		t.Errorf("expires_at %q", got.ExpiresAt)
	}
	if emu.MintsFor(testAppID, "alice") != 1 {
		t.Error("--session was not sent as session_name")
	}
	if perms := emu.LastScope()["account_permission"]; perms == nil {
		t.Errorf("--scope not sent: %v", emu.LastBody())
	}

	// The scope from a file.
	file := writeFile(t, dir, "scope.json", scope, 0o644)
	if _, errOut, code := cli(t, "", "token", "--config", cfg, "--scope", file); code != 0 || emu.LastScope() == nil {
		t.Errorf("--scope FILE: exit %d %s", code, errOut)
	}
}

func TestTokenErrors(t *testing.T) {
	_, cfg, _ := cnSetup(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"Coze refuses", nil, []string{"kid not been registred", "log id", "run `cozeauth doctor --config"}},
		{"unknown app", []string{"--app", "nope"}, []string{`--app "nope": no such app`, "apps: bot"}},
		{"bad scope", []string{"--scope", `{"acount_permission":{}}`}, []string{"not a Coze scope object", "unknown field"}},
		{"missing scope file", []string{"--scope", "nope.json"}, []string{"--scope", "no such file"}},
		{"bad duration", []string{"--duration", "99999"}, []string{"--duration", "out of range"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg
			if tt.name == "Coze refuses" { // the key path is absolute: the copy works anywhere
				c = writeFile(t, t.TempDir(), "cozeauth.yaml", strings.Replace(readFile(t, cfg), testKid, "unknown-kid", 1), 0o600)
			}
			out, errOut, code := cli(t, "", append([]string{"token", "--config", c}, tt.args...)...)
			if code != 1 || out != "" {
				t.Errorf("exit %d, stdout %q", code, out)
			}
			wantAll(t, errOut, tt.want...)
		})
	}
}
