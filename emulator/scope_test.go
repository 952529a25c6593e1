package emulator_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// botScope is a token request body whose scope names perms and bots.
func botScope(perms, bots string) string {
	return `{"grant_type":"` + jwtGrant + `","scope":{"account_permission":{"permission_list":[` + perms + `]},` +
		`"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[` + bots + `]}}}}`
}

// chatWith posts a plain chat with bot as auth.
func (f *fixture) chatWith(auth, bot string) response {
	f.t.Helper()
	body := strings.Replace(chatBody(false, "", "user:hi"), botID, bot, 1)
	return f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", auth, body)
}

// wantDenied checks Coze's permission error: 403, code 4101, a msg
// naming what is missing, the log id in detail.
func wantDenied(t *testing.T, r response, msgHas string) {
	t.Helper()
	msg := wantAPIError(t, r, http.StatusForbidden, emulator.CodePermissionDenied)
	if !strings.Contains(msg, msgHas) {
		t.Errorf("msg %q lacks %q", msg, msgHas)
	}
}

// TestChannelScopeEnforced: a channel app's token whose scope names one
// bot chats with that bot only, and cannot call users.me.
func TestChannelScopeEnforced(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetAppOptions(app1, emulator.AppOptions{Channel: true})
	tok := wantOK(t, f, f.mint(nil, botScope(`"Connector.botChat"`, `"7001"`)), 900)
	auth := "Bearer " + tok
	if r := f.chatWith(auth, "7001"); r.status != http.StatusOK || r.int("code") != 0 {
		t.Fatalf("chat with the scoped bot: %d %s", r.status, r.raw)
	}
	wantDenied(t, f.chatWith(auth, "7002"), `bot "7002"`)
	wantDenied(t, f.me(auth), "User.read")
	wantDenied(t, f.upload(auth, "multipart/form-data; boundary=x", "--x--\r\n"), "File.upload")

	// Without a scope a channel app's token has every permission.
	all := "Bearer " + f.accessToken()
	f.wantMe(strings.TrimPrefix(all, "Bearer "), app1+"-")
	if r := f.chatWith(all, "7002"); r.status != http.StatusOK {
		t.Errorf("unscoped channel token, any bot: %d %s", r.status, r.raw)
	}
	// Workspace and workflow permissions join the account's.
	ws := wantOK(t, f, f.mint(nil, `{"grant_type":"`+jwtGrant+`","scope":{"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["User.read"]}}}`), 900)
	f.wantMe(ws, app1+"-")
	wantDenied(t, f.chatWith("Bearer "+ws, "7001"), "Connector.botChat")
}

// TestDeveloperAppIgnoresScope: a developer's own app (the default) gets
// every permission it was authorized for, whatever scope it asks.
func TestDeveloperAppIgnoresScope(t *testing.T) {
	f := newFixture(t, nil)
	tok := wantOK(t, f, f.mint(nil, botScope(`"Connector.botChat"`, `"7001"`)), 900)
	f.wantMe(tok, app1+"-")
	if r := f.chatWith("Bearer "+tok, "7002"); r.status != http.StatusOK || r.int("code") != 0 {
		t.Errorf("developer app, another bot: %d %s", r.status, r.raw)
	}
	if g, _ := f.srv.LastGrant(); g.ScopeObject() == nil {
		t.Error("the grant lost the scope it was asked with")
	}

	// Its permissions are what the app was authorized for.
	f.srv.SetAppOptions(app1, emulator.AppOptions{Permissions: []string{emulator.PermUserRead}})
	tok = wantOK(t, f, f.mint(nil, botScope(`"Connector.botChat"`, `"7001"`)), 900)
	f.wantMe(tok, app1+"-")
	wantDenied(t, f.chatWith("Bearer "+tok, "7001"), "Connector.botChat")
	f.srv.SetAppOptions(app1, emulator.AppOptions{Permissions: []string{}})
	tok = wantOK(t, f, f.mint(nil, ""), 900)
	wantDenied(t, f.me("Bearer "+tok), "User.read")
	// PATs carry every permission.
	f.srv.AddPAT("pat_all", "u-pat")
	f.wantMe("pat_all", "u-pat")
}

// TestChannelScopeRefused: a channel app's scope that is malformed, empty,
// oversized or beyond the app's permissions is refused at the token
// endpoint with invalid_request, and mints nothing.
func TestChannelScopeRefused(t *testing.T) {
	f := newFixture(t, nil)
	f.srv.SetAppOptions(app1, emulator.AppOptions{Channel: true, Permissions: []string{emulator.PermBotChat}})
	many := strings.TrimSuffix(strings.Repeat(`"7001",`, 101), ",")
	for name, scope := range map[string]string{
		"empty permissions":     `{"account_permission":{"permission_list":[]}}`,
		"no permission_list":    `{"account_permission":{}}`,
		"permissions not array": `{"account_permission":{"permission_list":"Connector.botChat"}}`,
		"number in list":        `{"account_permission":{"permission_list":[1]}}`,
		"empty bots":            `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}`,
		"empty bot id":          `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[""]}}}`,
		"too many bots":         `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[` + many + `]}}}`,
		"long bot id":           `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["` + strings.Repeat("7", 129) + `"]}}}`,
		"part not object":       `{"workflow_permission":[]}`,
		"empty workspaces":      `{"workspace_permission":{"workspace_id_list":[],"permission_list":["Connector.botChat"]}}`,
		"beyond the app":        `{"account_permission":{"permission_list":["Connector.botChat","User.read"]}}`,
	} {
		before := f.srv.Mints()
		r := f.mint(nil, `{"grant_type":"`+jwtGrant+`","scope":`+scope+`}`)
		wantOAuth(t, r, http.StatusBadRequest, "invalid_request", "scope")
		if f.srv.Mints() != before {
			t.Errorf("%s: a token was minted", name)
		}
	}
	// Within the app's permissions: minted.
	wantOK(t, f, f.mint(nil, botScope(`"Connector.botChat"`, `"7001"`)), 900)
}

// TestAudienceFromHost: an assertion may name the emulator's own
// host[:port] (as the SDKs sign it from their base URL), the region's
// audience or an extra audience, and nothing else.
func TestAudienceFromHost(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.Audiences = []string{"coze.internal:8443"} })
	host := f.hs.Listener.Addr().String()
	for _, aud := range []any{host, "api.coze.cn", "coze.internal:8443", []any{"other", host}} {
		r := f.mint(map[string]any{"aud": aud}, "")
		wantOK(t, f, r, 900)
	}
	for _, aud := range []any{"127.0.0.1:1", "api.coze.com", "", "http://" + host, []any{"other"}} {
		r := f.mint(map[string]any{"aud": aud}, "")
		wantOAuth(t, r, http.StatusUnauthorized, "invalid_client", "aud mismatch")
	}
}
