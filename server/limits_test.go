package server

import (
	"fmt"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/policy"
)

// TestScopeAndSessionContextAreCapped: a scope or session_context over
// 8 KiB of JSON is a 400 naming the field and the limit, before anything
// is decided or minted (both end up in cached tokens' keys).
func TestScopeAndSessionContextAreCapped(t *testing.T) {
	f := newFixture(t) // open mode: both are otherwise allowed
	bots := `"` + strings.Repeat("7", 20) + `"`
	bigScope := `{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[` + strings.Repeat(bots+",", 400) + bots + `]}}}`
	bigCtx := `{"device_info":{"device_id":"` + strings.Repeat("d", MaxSessionContextBytes) + `"}}`
	for _, tc := range []struct{ field, body string }{
		{"scope", `{"scope":` + bigScope + `}`},
		{"session_context", `{"session_context":` + bigCtx + `}`},
	} {
		before := f.emu.Requests()
		status, _, data := f.do(t, "POST", "/token", tc.body, nil)
		e := decode[errAnswer](t, data).Error
		if status != 400 || !strings.HasPrefix(e.Message, tc.field+" is ") || !strings.Contains(e.Message, "8192") {
			t.Fatalf("%s over 8 KiB: %d %s", tc.field, status, data)
		}
		if f.emu.Requests() != before {
			t.Fatalf("an oversized %s reached Coze", tc.field)
		}
	}
	// Just under the limit is fine.
	small := `{"session_context":{"device_info":{"device_id":"` + strings.Repeat("d", MaxSessionContextBytes-40) + `"}}}`
	if status, _, data := f.do(t, "POST", "/token", small, nil); status != 200 {
		t.Fatalf("a session_context under the limit: %d %s", status, data)
	}
}

// TestSessionContextNeedsPolicy: a keyed or public caller may send a
// session_context only when its policy says session_context: true.
func TestSessionContextNeedsPolicy(t *testing.T) {
	acc := config.Access{
		Policies: []policy.Policy{
			{Name: "plain", Apps: []string{"good"}},
			{Name: "ctx", Apps: []string{"good"}, SessionContext: true},
			{Name: "widget", Apps: []string{"good"}, Public: true, Origins: []string{shopOrigin}, MaxScope: botScope([]string{"Connector.botChat"}, "7001")},
		},
		Clients: []policy.Client{{Name: "p", Policy: "plain"}, {Name: "c", Policy: "ctx"}},
	}
	f, keys := serveAccess(t, acc, nil)
	body := `{"session_context":{"device_info":{"device_id":"dev-1","custom_consumer":"x"}}}`
	for name, hdr := range map[string]map[string]string{"keyed": bearer(keys["p"]), "public": {"Origin": shopOrigin}} {
		before := f.emu.Requests()
		status, _, data := f.do(t, "POST", "/token", body, hdr)
		if e := decode[errAnswer](t, data).Error; status != 403 || e.Code != "session_context_not_allowed" || !strings.Contains(e.Message, "session_context: true") {
			t.Fatalf("%s caller without session_context: true: %d %s", name, status, data)
		}
		if f.emu.Requests() != before {
			t.Fatal("a refused session_context reached Coze")
		}
	}
	status, _, data := f.do(t, "POST", "/token", body, bearer(keys["c"]))
	if status != 200 {
		t.Fatalf("allowed session_context: %d %s", status, data)
	}
	if got := fmt.Sprint(f.emu.LastClaims()["session_context"]); !strings.Contains(got, "dev-1") {
		t.Fatalf("session_context claim %s", got)
	}
}

// TestGatewayOnlyPolicyGetsNoRawToken: a gateway_only policy's key is
// refused a raw token (its limits hold only through the gateway), and
// still reaches the gateway.
func TestGatewayOnlyPolicyGetsNoRawToken(t *testing.T) {
	acc := config.Access{
		Policies: []policy.Policy{{Name: "gw", Apps: []string{"good"}, GatewayOnly: true, Paths: []string{"/v1/users/me"},
			MaxScope: botScope([]string{"Connector.botChat"}, "7001")}},
		Clients: []policy.Client{{Name: "g", Policy: "gw"}},
	}
	f, keys := serveAccess(t, acc, nil)
	for _, path := range []string{"/token", "/", "/callback"} {
		method := "POST"
		if path == "/callback" {
			method = "GET"
		}
		before := f.emu.Requests()
		status, _, data := f.do(t, method, path, "", bearer(keys["g"]))
		if e := decode[errAnswer](t, data).Error; status != 403 || e.Code != "raw_token_not_allowed" || !strings.Contains(e.Message, "gateway") {
			t.Fatalf("%s %s for a gateway_only key: %d %s", method, path, status, data)
		}
		if f.emu.Requests() != before || strings.Contains(string(data), "access_token") {
			t.Fatal("a gateway_only key got a token")
		}
	}
	if status, _, data := f.do(t, "GET", "/v1/users/me", "", bearer(keys["g"])); status != 200 {
		t.Fatalf("gateway call for a gateway_only key: %d %s", status, data)
	}
}
