package main

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// TestEmulatorCommandChannelApp: with --channel and --permissions the JWT
// app's scoped token is refused outside its scope; aud may be the
// emulator's host:port; a fault POSTed to /_emulator/faults is served.
func TestEmulatorCommandChannelApp(t *testing.T) {
	dir := t.TempDir()
	pub, _ := coze.EncodePublicKey(&testKey().PublicKey)
	os.WriteFile(filepath.Join(dir, "public_key.pem"), pub, 0o600)
	base, out, _ := startCLI(t, "emulator", "--listen", "127.0.0.1:0", "--pub", filepath.Join(dir, "public_key.pem"),
		"--client-id", "1170000000042", "--kid", "k1", "--channel", "--permissions", "Connector.botChat,User.read",
		"--audience", "coze.test:443")
	for _, want := range []string{"a channel app", "permissions: Connector.botChat, User.read", "coze.test:443", "/_emulator/faults"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	host := strings.TrimPrefix(base, "http://")
	mint := func(aud string, scope *coze.Scope) (*coze.Token, error) {
		return (&coze.Client{}).JWTToken(context.Background(),
			&coze.Signer{ClientID: "1170000000042", KeyID: "k1", Key: testKey(), Audience: aud},
			coze.JWTRequest{TokenURL: coze.TokenURL(base, "", ""), Scope: scope})
	}
	if _, err := mint("coze.test:443", nil); err != nil {
		t.Errorf("--audience refused: %v", err)
	}
	if _, err := mint("elsewhere:1", nil); err == nil {
		t.Error("an unknown aud was accepted")
	}
	if _, err := mint(host, &coze.Scope{AccountPermission: &coze.AccountPermission{PermissionList: []string{"File.upload"}}}); err == nil {
		t.Error("a scope beyond --permissions was accepted")
	}
	tok, err := mint(host, &coze.Scope{
		AccountPermission:   &coze.AccountPermission{PermissionList: []string{"Connector.botChat"}},
		AttributeConstraint: &coze.AttributeConstraint{ConnectorBotChatAttribute: &coze.BotChatAttribute{BotIDList: []string{"7001"}}},
	})
	if err != nil {
		t.Fatalf("aud = the emulator's host: %v", err)
	}
	call := func(method, path, body string) int {
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	chat := func(bot string) string {
		return `{"bot_id":"` + bot + `","user_id":"u","additional_messages":[{"role":"user","content":"hi","content_type":"text"}]}`
	}
	if st := call(http.MethodPost, "/v3/chat", chat("7001")); st != http.StatusOK {
		t.Errorf("chat with the scoped bot: %d", st)
	}
	if st := call(http.MethodPost, "/v3/chat", chat("7002")); st != http.StatusForbidden {
		t.Errorf("chat with another bot: %d", st)
	}
	if st := call(http.MethodGet, "/v1/users/me", ""); st != http.StatusForbidden {
		t.Errorf("users.me outside the scope: %d", st)
	}
	res, err := http.Post(base+"/_emulator/faults", "application/json", strings.NewReader(`{"path":"/v3/chat","status":503}`))
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("POST a fault: %v %v", res, err)
	}
	res.Body.Close()
	if st := call(http.MethodPost, "/v3/chat", chat("7001")); st != http.StatusServiceUnavailable {
		t.Errorf("chat under a 503 fault: %d", st)
	}
}

func TestEmulatorCommandRefusesBadScopeFlags(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--permissions", "Bot.fly"}, "--permissions"},
		{[]string{"--audience", "http://x/y"}, "--audience"},
	} {
		_, _, err := runCLI(t, append([]string{"emulator", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v", tc.args, err)
		}
	}
}
