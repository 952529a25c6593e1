package policy

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

func callScope(js string) *coze.Scope {
	var s coze.Scope
	if err := json.Unmarshal([]byte(js), &s); err != nil {
		panic(err)
	}
	return &s
}

const (
	bots7001 = `{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}`
	flowF1   = `{"workflow_permission":{"workflow_id_list":["9001"],"permission_list":["run"]}}`
)

// TestCheckCallEnforcesBotList holds the gateway half of "a policy's
// scope is enforced even where Coze ignores it": a call that names a bot
// outside the policy's bot_id_list, or names none where one is needed, or
// hides one where another reader could see it, is refused.
func TestCheckCallEnforcesBotList(t *testing.T) {
	p := &Policy{Name: "shop", MaxScope: callScope(bots7001)}
	q := func(kv ...string) map[string][]string {
		m := map[string][]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = append(m[kv[i]], kv[i+1])
		}
		return m
	}
	cases := []struct {
		name, path string
		query      map[string][]string
		body       string
		code       string // "" allowed
	}{
		{"listed bot", "/v3/chat", nil, `{"bot_id":"7001","stream":true}`, ""},
		{"listed bot, query conversation", "/v3/chat", q("conversation_id", "1"), `{"bot_id":"7001"}`, ""},
		{"unlisted bot", "/v3/chat", nil, `{"bot_id":"6666"}`, "bot_not_allowed"},
		{"no bot", "/v3/chat", nil, `{"stream":true}`, "bot_not_allowed"},
		{"empty body", "/v3/chat", nil, ``, "bot_not_allowed"},
		{"numeric bot", "/v3/chat", nil, `{"bot_id":7001}`, "bot_not_allowed"},
		{"null bot", "/v3/chat", nil, `{"bot_id":null}`, "bot_not_allowed"},
		{"bot twice, last wins elsewhere", "/v3/chat", nil, `{"bot_id":"7001","bot_id":"6666"}`, "bad_request"},
		{"bot in other case", "/v3/chat", nil, `{"bot_id":"7001","BOT_ID":"6666"}`, "bad_request"},
		{"escaped key", "/v3/chat", nil, `{"bot_id":"7001","bot\u005fid":"6666"}`, "bad_request"},
		{"kelvin sign key (encoding/json folds it)", "/v1/workflow/run", nil, `{"wor\u212aflow_id":"1"}`, "bad_request"},
		{"unlisted bot in query", "/v3/chat", q("bot_id", "6666"), `{"bot_id":"7001"}`, "bot_not_allowed"},
		{"bot twice in query", "/v1/conversations", q("bot_id", "7001", "bot_id", "6666"), ``, "bad_request"},
		{"query case variant", "/v1/conversations", q("bot_id", "7001", "Bot_Id", "6666"), ``, "bad_request"},
		{"array body", "/v3/chat", nil, `[{"bot_id":"7001"}]`, "bad_request"},
		{"two values", "/v3/chat", nil, `{"bot_id":"7001"} {"bot_id":"6666"}`, "bad_request"},
		{"truncated", "/v3/chat", nil, `{"bot_id":"7001"`, "bad_request"},
		{"websocket chat", "/v1/chat", q("bot_id", "7001"), ``, ""},
		{"websocket chat, other bot", "/v1/chat", q("bot_id", "6666"), ``, "bot_not_allowed"},
		{"bot by path", "/v1/bots/6666", nil, ``, "bot_not_allowed"},
		{"listed bot by path", "/v1/bots/7001", nil, ``, ""},
		{"list workspace bots", "/v1/bots", q("space_id", "1"), ``, "bot_not_allowed"},
		{"create a bot", "/v1/bot/create", nil, `{"space_id":"1","name":"x"}`, "bot_not_allowed"},
		{"online info", "/v1/bot/get_online_info", q("bot_id", "7001"), ``, ""},
		{"conversation list", "/v1/conversations", q("bot_id", "7001"), ``, ""},
		{"conversation create without bot", "/v1/conversation/create", nil, `{}`, ""},
		{"conversation create, other bot", "/v1/conversation/create", nil, `{"bot_id":"6666"}`, "bot_not_allowed"},
		{"follow-up retrieve", "/v3/chat/retrieve", q("conversation_id", "1", "chat_id", "2"), ``, ""},
		{"follow-up messages", "/v1/conversation/message/list", q("conversation_id", "1"), `{}`, ""},
		{"clear conversation", "/v1/conversations/123/clear", nil, ``, ""},
		{"workflow with other bot", "/v1/workflow/run", nil, `{"workflow_id":"1","bot_id":"6666"}`, "bot_not_allowed"},
		{"workflow without bot", "/v1/workflow/run", nil, `{"workflow_id":"1"}`, ""},
		{"audio room, other bot", "/v1/audio/rooms", nil, `{"bot_id":"6666"}`, "bot_not_allowed"},
		{"not a checked path", "/v1/files/upload", nil, `not json at all`, ""},
	}
	for _, tc := range cases {
		d := p.CheckCall(tc.path, tc.query, []byte(tc.body))
		got := ""
		if d != nil {
			got = d.Code
		}
		if got != tc.code {
			t.Errorf("%s: %s %v %s: got %q (%v), want %q", tc.name, tc.path, tc.query, tc.body, got, d, tc.code)
		}
		if checked := tc.path != "/v1/files/upload"; ChecksCall(tc.path, p.MaxScope) != checked {
			t.Errorf("%s: ChecksCall(%s) = %v", tc.name, tc.path, !checked)
		}
	}
}

func TestCheckCallEnforcesWorkflowList(t *testing.T) {
	p := &Policy{Name: "flows", MaxScope: callScope(flowF1)}
	cases := []struct {
		path, body string
		code       string
	}{
		{"/v1/workflow/run", `{"workflow_id":"9001","parameters":{}}`, ""},
		{"/v1/workflow/stream_run", `{"workflow_id":"6666"}`, "workflow_not_allowed"},
		{"/v1/workflows/chat", `{"workflow_id":"6666","bot_id":"1"}`, "workflow_not_allowed"},
		{"/v1/workflow/run", `{}`, "workflow_not_allowed"},
		{"/v1/workflows/6666/run_histories/1", ``, "workflow_not_allowed"},
		{"/v1/workflows/9001/run_histories/1", ``, ""},
		{"/v3/chat", `{"bot_id":"any"}`, ""}, // the policy does not restrict bots
		{"/v3/chat", `{"bot_id":"any","workflow_id":"6666"}`, "workflow_not_allowed"},
	}
	for _, tc := range cases {
		d := p.CheckCall(tc.path, nil, []byte(tc.body))
		got := ""
		if d != nil {
			got = d.Code
		}
		if got != tc.code {
			t.Errorf("%s %s: got %q (%v), want %q", tc.path, tc.body, got, d, tc.code)
		}
	}
}

func TestCheckCallWithoutRestrictionsChecksNothing(t *testing.T) {
	for _, s := range []*coze.Scope{nil, callScope(`{"account_permission":{"permission_list":["Connector.botChat"]}}`)} {
		if d := CheckCall("/v3/chat", nil, []byte(`not json`), s); d != nil {
			t.Errorf("scope %v: %v", s, d)
		}
		if ChecksCall("/v3/chat", s) {
			t.Errorf("scope %v: ChecksCall true", s)
		}
	}
	// Every scope given must hold: the policy's and the token's.
	if d := CheckCall("/v3/chat", nil, []byte(`{"bot_id":"7002"}`), callScope(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001","7002"]}}}`), callScope(bots7001)); d == nil {
		t.Error("a bot outside the second scope passed")
	}
}

// FuzzCheckCall checks CheckCall against Go's encoding/json, the reader a
// Go service behind the gateway would use (it matches field names without
// regard to case and keeps the last duplicate): whatever CheckCall lets
// through, such a reader sees only listed bot and workflow ids, and a
// chat or workflow call that needs one names one.
func FuzzCheckCall(f *testing.F) {
	f.Add("/v3/chat", "", []byte(`{"bot_id":"7001","stream":true}`))
	f.Add("/v3/chat", "conversation_id=1", []byte(`{"bot_id":"7001","BOT_ID":"6666"}`))
	f.Add("/v3/chat", "", []byte(`{"bot_id":"7001","bot_id":"6666"}`))
	f.Add("/v1/workflow/run", "", []byte(`{"workflow_id":"9001","wor\u212aflow_id":"6666"}`))
	f.Add("/v1/chat", "bot_id=7001&Bot_id=6666", []byte(nil))
	f.Add("/v1/bots/6666", "", []byte(nil))
	f.Add("/v3/chat/retrieve", "chat_id=1", []byte(`{"bot_id":null}`))
	scope := callScope(`{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}},"workflow_permission":{"workflow_id_list":["9001"]}}`)
	f.Fuzz(func(t *testing.T, path, rawQuery string, body []byte) {
		query, err := url.ParseQuery(rawQuery)
		if err != nil {
			return // the gateway refuses a query that does not parse
		}
		if CheckCall(path, query, body, scope) != nil {
			return
		}
		isBot, isWf := family(path)
		if !isBot && !isWf {
			return
		}
		var seen struct {
			BotID      *json.RawMessage `json:"bot_id"`
			WorkflowID *json.RawMessage `json:"workflow_id"`
		}
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &seen); err != nil {
				t.Fatalf("passed a body encoding/json cannot read: %q", body)
			}
		}
		check := func(name, listed string, raw *json.RawMessage, needed bool) {
			found := false
			if raw != nil {
				var s string
				if json.Unmarshal(*raw, &s) != nil || s != listed {
					t.Fatalf("passed %s %s in %q", name, *raw, body)
				}
				found = true
			}
			for k, vs := range query {
				if strings.EqualFold(k, name) {
					for _, v := range vs {
						if v != listed {
							t.Fatalf("passed query %s=%q", k, v)
						}
					}
					found = true
				}
			}
			if strings.HasPrefix(path, "/v1/bots/") && name == "bot_id" || strings.HasPrefix(path, "/v1/workflows/") && name == "workflow_id" {
				if id, ok := pathID(path, map[string]string{"bot_id": "/v1/bots/", "workflow_id": "/v1/workflows/"}[name]); ok {
					if id != listed {
						t.Fatalf("passed %s %q in the path %q", name, id, path)
					}
					found = true
				}
			}
			if needed && !found {
				t.Fatalf("passed %s %q %q naming no %s", path, rawQuery, body, name)
			}
		}
		check("bot_id", "7001", seen.BotID, isBot && !followUp(path))
		check("workflow_id", "9001", seen.WorkflowID, isWf)
	})
}
