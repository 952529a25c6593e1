package emulator

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestPermissionTable pins the path → permission mapping the package doc
// and the README describe.
func TestPermissionTable(t *testing.T) {
	for _, c := range []struct{ method, path, want string }{
		{"GET", "/v1/users/me", PermUserRead},
		{"POST", "/v3/chat", PermBotChat},
		{"GET", "/v3/chat/retrieve", PermBotChat},
		{"POST", "/v3/chat/submit_tool_outputs", PermBotChat},
		{"POST", "/v1/conversation/create", PermBotChat},
		{"POST", "/v1/conversation/message/list", PermBotChat},
		{"GET", "/v1/conversations", PermBotChat},
		{"POST", "/v1/conversations/7/clear", PermBotChat},
		{"GET", "/v1/chat", PermBotChat},
		{"GET", "/v1/bots", PermBotRead},
		{"GET", "/v1/bots/7001", PermBotRead},
		{"GET", "/v1/bot/get_online_info", PermBotRead},
		{"POST", "/v1/bot/create", PermBotWrite},
		{"POST", "/v1/bot/publish", PermBotWrite},
		{"GET", "/v1/space/published_bots_list", PermBotRead},
		{"GET", "/v1/workspaces", PermWorkspaceRead},
		{"POST", "/v1/files/upload", PermFileUpload},
		{"GET", "/v1/files/retrieve", PermFileRead},
		{"POST", "/v1/workflow/run", PermWorkflowRun},
		{"POST", "/v1/workflow/stream_run", PermWorkflowRun},
		{"POST", "/v1/workflows/chat", PermWorkflowRun},
		{"GET", "/v1/workflows/9/run_histories/1", PermWorkflowRun},
		{"GET", "/v1/datasets", PermDatasetRead},
		{"POST", "/v1/datasets", PermDatasetWrite},
		{"GET", "/v1/audio/voices", PermAudioRead},
		{"POST", "/v1/audio/speech", PermAudioWrite},
		{"GET", "/v1/chatty", ""},
		{"GET", "/v1/botsx", ""},
		{"GET", "/v2/unknown", ""},
	} {
		if got := permissionFor(c.method, c.path); got != c.want {
			t.Errorf("%s %s: %q, want %q", c.method, c.path, got, c.want)
		}
	}
	// Every permission the table names is in AllPermissions.
	for _, r := range permRules {
		for _, p := range []string{r.read, r.write} {
			found := false
			for _, a := range AllPermissions {
				found = found || a == p
			}
			if !found {
				t.Errorf("%s maps to %q, missing from AllPermissions", r.prefix, p)
			}
		}
	}
}

// TestResourceChecks drives allowWorkspace and allowWorkflow (and allowBot)
// with a channel token limited to w1 and f1.
func TestResourceChecks(t *testing.T) {
	s := New(Options{})
	s.SetAppOptions("app", AppOptions{Channel: true})
	a, e := s.tokenAccess("app", json.RawMessage(`{
		"workspace_permission":{"workspace_id_list":["w1"],"permission_list":["Bot.read"]},
		"workflow_permission":{"workflow_id_list":["f1"],"permission_list":["Workflow.run"]},
		"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["b1"]}}}`))
	if e != nil {
		t.Fatal(e.msg)
	}
	tok := s.issueToken("app", "", time.Now().Add(time.Hour).Unix(), a)
	check := func(name string, allow func(http.ResponseWriter, *http.Request, string) bool, id string, want bool) {
		t.Helper()
		r := httptest.NewRequest(http.MethodGet, "/v1/workflows", nil)
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		w.Header().Set("X-Tt-Logid", "L")
		if got := allow(w, r, id); got != want {
			t.Errorf("%s %q: %v, want %v", name, id, got, want)
		}
		if !want {
			var body struct {
				Code   int               `json:"code"`
				Msg    string            `json:"msg"`
				Detail map[string]string `json:"detail"`
			}
			if json.Unmarshal(w.Body.Bytes(), &body) != nil || w.Code != http.StatusForbidden || body.Code != 4101 || body.Detail["logid"] != "L" {
				t.Errorf("%s %q refused with %d %s", name, id, w.Code, w.Body)
			}
		}
	}
	check("workspace", s.allowWorkspace, "w1", true)
	check("workspace", s.allowWorkspace, "w2", false)
	check("workflow", s.allowWorkflow, "f1", true)
	check("workflow", s.allowWorkflow, "f2", false)
	check("bot", s.allowBot, "b1", true)
	check("bot", s.allowBot, "b2", false)
	if !a.allows(PermBotRead) || !a.allows(PermWorkflowRun) || a.allows(PermUserRead) || a.allows("") {
		t.Errorf("permissions %v", *a.Perms)
	}

	// Without a token: 4100, not a pass.
	r := httptest.NewRequest(http.MethodGet, "/v1/workflows", nil)
	w := httptest.NewRecorder()
	if s.allowWorkflow(w, r, "f1") || w.Code != http.StatusUnauthorized {
		t.Errorf("no token: %d", w.Code)
	}
	// A developer app's token limits nothing.
	dev := s.issueToken("dev", "", time.Now().Add(time.Hour).Unix(), nil)
	r.Header.Set("Authorization", "Bearer "+dev)
	if !s.allowWorkflow(httptest.NewRecorder(), r, "anything") {
		t.Error("developer token refused")
	}
}

// TestUserGrantPermissions: a user grant's token carries its app's
// permissions.
func TestUserGrantPermissions(t *testing.T) {
	s := New(Options{})
	s.SetAppOptions("web", AppOptions{Permissions: []string{PermBotChat}})
	tok := s.issueUserToken("web", "u1", time.Now().Add(time.Hour).Unix())
	user, a, ok := s.authenticate(tok)
	if !ok || user != "u1" || !a.allows(PermBotChat) || a.allows(PermUserRead) {
		t.Fatalf("user token: %q %v %v", user, ok, a)
	}
	tok = s.issueUserToken("other", "u1", time.Now().Add(time.Hour).Unix())
	if _, a, _ := s.authenticate(tok); a != nil {
		t.Errorf("an app without options limited to %v", *a.Perms)
	}
}

// FuzzScope feeds arbitrary bytes to a channel app's scope parsing and the
// path → permission table: never a panic; an accepted scope has bounded,
// non-empty lists and survives the trip through an access token.
func FuzzScope(f *testing.F) {
	f.Add([]byte(`{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`), "/v3/chat")
	f.Add([]byte(`{"workspace_permission":{"workspace_id_list":["w"],"permission_list":["Bot.read"]},"workflow_permission":{"workflow_id_list":["f"],"permission_list":["Workflow.run"]}}`), "/v1/bots/1")
	f.Add([]byte(`{"account_permission":{"permission_list":[]}}`), "/v1/users/me")
	f.Add([]byte(`{"account_permission":null,"attribute_constraint":{"connector_bot_chat_attribute":null}}`), "/")
	f.Add([]byte(`[]`), "")
	s := New(Options{})
	s.SetAppOptions("ch", AppOptions{Channel: true})
	s.SetAppOptions("narrow", AppOptions{Channel: true, Permissions: []string{PermBotChat}})
	exp := time.Now().Add(time.Hour).Unix()
	f.Fuzz(func(t *testing.T, scope []byte, path string) {
		_ = permissionFor(http.MethodGet, path)
		_ = permissionFor(http.MethodPost, path)
		for _, app := range []string{"ch", "narrow"} {
			a, e := s.tokenAccess(app, scope)
			if e != nil {
				if e.status != http.StatusBadRequest || e.code != "invalid_request" {
					t.Fatalf("refusal %d %s", e.status, e.code)
				}
				continue
			}
			for _, l := range []*[]string{a.Perms, a.Bots, a.Workspaces, a.Workflows} {
				if l == nil {
					continue
				}
				if len(*l) > 4*maxScopeList {
					t.Fatalf("a list of %d", len(*l))
				}
				for _, v := range *l {
					if len(v) > maxScopeItem {
						t.Fatalf("an entry of %d bytes", len(v))
					}
				}
			}
			if app == "narrow" {
				if a.Perms == nil {
					t.Fatal("the narrow app's token has every permission")
				}
				for _, p := range *a.Perms {
					if p != PermBotChat {
						t.Fatalf("narrow app granted %q", p)
					}
				}
			}
			tok := s.issueToken(app, "", exp, a)
			if len(tok) > 32<<10 {
				t.Fatalf("a token of %d bytes", len(tok))
			}
			_, back, ok := s.authenticate(tok)
			if !ok {
				t.Fatal("the token does not authenticate")
			}
			want, _ := json.Marshal(a.orNil())
			got, _ := json.Marshal(back)
			if string(want) != string(got) {
				t.Fatalf("access %s came back as %s", want, got)
			}
		}
	})
}

// TestScopeSizeBound: lists within their own bounds but too large together
// are refused, so a token stays a small header.
func TestScopeSizeBound(t *testing.T) {
	list := func(prefix string) string {
		var b []byte
		for i := range maxScopeList {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '"')
			for range maxScopeItem - 8 {
				b = append(b, prefix[0])
			}
			b = append(b, []byte(prefix[:1]+string(rune('a'+i%26))+string(rune('a'+i/26))+`"`)...)
		}
		return string(b)
	}
	scope := `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[` + list("b") + `]}},` +
		`"workspace_permission":{"workspace_id_list":[` + list("w") + `]}}`
	if _, err := parseScope([]byte(scope)); err == nil {
		t.Fatal("a 25 KiB scope was accepted")
	}
	small := `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[` + list("b") + `]}}}`
	if _, err := parseScope([]byte(small)); err != nil {
		t.Fatalf("a 13 KiB scope: %v", err)
	}
}
