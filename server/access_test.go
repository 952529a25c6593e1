package server

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func bearer(k string) map[string]string { return map[string]string{"Authorization": "Bearer " + k} }

func with(h map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range h {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// TestAttacksAreRefused: each attack gets its status and nothing is
// handed out or minted.
func TestAttacksAreRefused(t *testing.T) {
	f, k := guarded(t)
	cases := []struct {
		name   string
		method string
		body   string
		hdr    map[string]string
		status int
		code   string
	}{
		{"missing key", "POST", "", nil, 401, "missing_client_key"},
		{"wrong key", "POST", "", bearer("cza_" + strings.Repeat("A", 43)), 401, "invalid_client_key"},
		{"revoked key", "POST", "", bearer(k.revoked), 401, "invalid_client_key"},
		{"key without prefix", "POST", "", bearer("pat_abc"), 401, "invalid_client_key"},
		{"other auth scheme", "POST", "", map[string]string{"Authorization": "Basic " + k.alpha}, 401, "invalid_client_key"},
		{"wrong X-API-Key", "POST", "", map[string]string{"X-API-Key": k.alpha + "x"}, 401, "invalid_client_key"},
		{"scope escalation: permission", "POST", `{"scope":{"account_permission":{"permission_list":["Bot.publish"]}}}`, bearer(k.alpha), 403, "scope_not_allowed"},
		{"scope escalation: bot", "POST", `{"scope":{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7009"]}}}}`, bearer(k.alpha), 403, "scope_not_allowed"},
		{"scope escalation: empty permission list", "POST", `{"scope":{"account_permission":{"permission_list":[]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}}}`, bearer(k.alpha), 403, "scope_not_allowed"},
		{"scope escalation: empty bot list", "POST", `{"scope":{"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":[]}}}}`, bearer(k.alpha), 403, "scope_not_allowed"},
		{"scope escalation: public visitor empties the permissions", "POST", `{"scope":{"account_permission":{"permission_list":[]}}}`, map[string]string{"Origin": shopOrigin}, 403, "scope_not_allowed"},
		{"scope escalation: add workspace", "POST", `{"scope":{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}},"workspace_permission":{"workspace_id_list":["1"],"permission_list":["x"]}}}`, bearer(k.alpha), 403, "scope_not_allowed"},
		{"duration escalation", "POST", `{"duration_seconds":7200}`, bearer(k.alpha), 403, "duration_not_allowed"},
		{"app not allowed", "POST", `{"app":"bad"}`, bearer(k.alpha), 403, "app_not_allowed"},
		{"disallowed origin with a key", "POST", "", with(bearer(k.alpha), "Origin", "https://evil.example"), 403, "origin_not_allowed"},
		{"disallowed origin without a key", "POST", "", map[string]string{"Origin": "https://evil.example"}, 401, "missing_client_key"},
		{"public origin with a wrong client key", "POST", "", with(bearer("cza_"+strings.Repeat("A", 43)), "Origin", shopOrigin), 401, "invalid_client_key"},
		{"placeholder token without a public origin", "POST", "", bearer("public"), 401, "invalid_client_key"},
		{"public origin asking too much", "POST", `{"duration_seconds":3600}`, map[string]string{"Origin": shopOrigin}, 403, "duration_not_allowed"},
		{"oversized X-User-ID", "POST", "", with(bearer(k.alpha), "X-User-ID", strings.Repeat("u", 300)), 400, "bad_request"},
		{"prefix pushes session over the limit", "POST", "", with(bearer(k.alpha), "X-User-ID", strings.Repeat("u", 256)), 400, "bad_request"},
		{"oversized body", "POST", `{"session_name":"` + strings.Repeat("a", MaxBodyBytes) + `"}`, bearer(k.alpha), 413, "body_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.emu.Requests()
			status, _, body := f.do(t, tc.method, "/token", tc.body, tc.hdr)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %s", status, tc.status, body)
			}
			if e := decode[errAnswer](t, body).Error; e.Code != tc.code {
				t.Fatalf("code %q, want %q (%s)", e.Code, tc.code, e.Message)
			}
			if strings.Contains(string(body), "access_token") || f.emu.Requests() != before {
				t.Fatal("an attack got a token or reached Coze")
			}
		})
	}
	// Control characters never survive an HTTP client, so send them at the handler.
	rec := recorderWith(f.server, "POST", "/token", "", with(bearer(k.alpha), "X-User-ID", "a\r\nSet-Cookie: x=1"))
	if rec.Code != 400 || rec.Header().Get("Set-Cookie") != "" {
		t.Fatalf("CR/LF in X-User-ID: status %d", rec.Code)
	}
	// The keys never show up in logs.
	for _, key := range []string{k.alpha, k.beta, k.slow, k.revoked} {
		if strings.Contains(f.logs.String(), key) {
			t.Fatal("a client key reached the log")
		}
	}
}

func TestAllowedClientGetsScopedToken(t *testing.T) {
	f, k := guarded(t)
	body := `{"scope":{"account_permission":{"permission_list":["Connector.botChat"]},"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7002"]}}},"duration_seconds":1800}`
	status, _, data := f.do(t, "POST", "/token", body, with(bearer(k.alpha), "X-User-ID", "bob"))
	if status != 200 {
		t.Fatalf("status %d: %s", status, data)
	}
	if got, want := f.emu.LastClaims()["session_name"], clientID(f, "alpha")+":bob"; got != want {
		t.Fatalf("session_name %v, want %s", got, want)
	}
	// With no scope asked, the policy's scope is used, not the app's full one.
	f.do(t, "POST", "/token", "", map[string]string{"X-API-Key": k.alpha})
	if sc := fmt.Sprint(f.emu.LastBody()["scope"]); !strings.Contains(sc, "7001") || !strings.Contains(sc, "7002") {
		t.Fatalf("default scope sent to Coze: %s", sc)
	}
	if !strings.Contains(f.logs.String(), "msg=token client=alpha policy=backend") || !strings.Contains(f.logs.String(), "source=mint") {
		t.Fatalf("no audit line for the token:\n%s", f.logs)
	}
}

func TestClientsCannotShareSessions(t *testing.T) {
	f, k := guarded(t)
	tokenFor := func(key, user string) string {
		status, _, data := f.do(t, "POST", "/token", "", with(bearer(key), "X-User-ID", user))
		if status != 200 {
			t.Fatalf("status %d: %s", status, data)
		}
		return decode[tokenAnswer](t, data).AccessToken
	}
	a := tokenFor(k.alpha, "bob")
	b := tokenFor(k.beta, "bob")
	steal := tokenFor(k.beta, "alpha:bob")
	stealByID := tokenFor(k.beta, clientID(f, "alpha")+":bob")
	if a == stealByID {
		t.Fatal("a client obtained another client's session by naming its identity")
	}
	if a == b || a == steal {
		t.Fatal("one client obtained another client's session token")
	}
	if f.emu.MintsFor(goodClient, clientID(f, "beta")+":alpha:bob") != 1 {
		t.Fatal("the impersonation attempt was not confined to the caller's own namespace")
	}
}

func TestRateLimitPerKey(t *testing.T) {
	f, k := guarded(t)
	var codes []int
	var retry string
	for range 4 {
		status, hdr, _ := f.do(t, "POST", "/token", "", bearer(k.slow))
		codes = append(codes, status)
		if status == 429 {
			retry = hdr.Get("Retry-After")
		}
	}
	if codes[0] != 200 || codes[1] != 200 || codes[2] != 429 || codes[3] != 429 {
		t.Fatalf("statuses %v, want 200 200 429 429 for a 2/s burst 2 key", codes)
	}
	if retry == "" || retry == "0" {
		t.Fatalf("429 without a useful Retry-After (%q)", retry)
	}
	// Another key is not affected.
	if status, _, _ := f.do(t, "POST", "/token", "", bearer(k.alpha)); status != 200 {
		t.Fatalf("another client was limited too: %d", status)
	}
}

func TestReloadRevokesAndSurvivesBadInput(t *testing.T) {
	f, k := guarded(t)
	acc, _ := testAccess(t)
	acc.Clients = nil
	for _, c := range f.cfg.Access.Clients {
		if c.Name != "alpha" {
			acc.Clients = append(acc.Clients, c)
		}
	}
	if err := f.server.Reload(f.withAccess(acc)); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := f.do(t, "POST", "/token", "", bearer(k.alpha)); status != 401 {
		t.Fatalf("revoked key status %d, want 401", status)
	}
	broken := acc
	broken.Clients = append([]policyClient{}, acc.Clients...)
	broken.Clients[0].Hash = "sha256:nothex"
	if err := f.server.Reload(f.withAccess(broken)); err == nil {
		t.Fatal("a broken key list was accepted")
	}
	if status, _, _ := f.do(t, "POST", "/token", "", bearer(k.beta)); status != 200 {
		t.Fatalf("after a bad reload a valid key got %d; the old rules should stay", status)
	}
}

func TestCORSPreflight(t *testing.T) {
	f, _ := guarded(t)
	pre := func(origin string) (int, http.Header) {
		status, hdr, _ := f.do(t, "OPTIONS", "/token", "", map[string]string{"Origin": origin, "Access-Control-Request-Method": "POST"})
		return status, hdr
	}
	status, hdr := pre(shopOrigin)
	if status != 204 || hdr.Get("Access-Control-Allow-Origin") != shopOrigin || hdr.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(hdr.Get("Access-Control-Allow-Headers"), "X-API-Key") || !strings.Contains(strings.Join(hdr.Values("Vary"), ","), "Origin") {
		t.Fatalf("allowed preflight: %d %v", status, hdr)
	}
	status, hdr = pre("https://evil.example")
	if status != 403 || hdr.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("disallowed preflight: %d %v", status, hdr)
	}
	for _, h := range []http.Header{hdr} {
		if h.Get("Access-Control-Allow-Origin") == "*" {
			t.Fatal("wildcard origin")
		}
	}
}

func TestPublicWidgetSessionsComeFromCookie(t *testing.T) {
	f, _ := guarded(t)
	req := func(cookie, user string) (int, http.Header, tokenAnswer) {
		hdr := map[string]string{"Origin": shopOrigin}
		if cookie != "" {
			hdr["Cookie"] = cookie
		}
		if user != "" {
			hdr["X-User-ID"] = user
		}
		status, h, data := f.do(t, "POST", "/token", "", hdr)
		var tok tokenAnswer
		if status == 200 {
			tok = decode[tokenAnswer](t, data)
		}
		return status, h, tok
	}
	status, hdr, first := req("", "")
	if status != 200 {
		t.Fatalf("first visit: %d", status)
	}
	setCookie := hdr.Get("Set-Cookie")
	if !strings.Contains(setCookie, "HttpOnly") || !strings.Contains(setCookie, "SameSite=Lax") {
		t.Fatalf("visitor cookie %q is not HttpOnly SameSite", setCookie)
	}
	if hdr.Get("Access-Control-Allow-Origin") != shopOrigin || hdr.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(hdr.Get("Access-Control-Expose-Headers"), ErrorHeader) {
		t.Fatalf("CORS headers on the token answer: %v", hdr)
	}
	session := fmt.Sprint(f.emu.LastClaims()["session_name"])
	if !strings.HasPrefix(session, "visitor:") {
		t.Fatalf("public session %q", session)
	}
	if sc := fmt.Sprint(f.emu.LastBody()["scope"]); !strings.Contains(sc, "7001") {
		t.Fatalf("public token not narrowed: %s", sc)
	}
	cookie := strings.SplitN(setCookie, ";", 2)[0]
	// The same visitor, even claiming to be someone else, gets its own token.
	if _, _, again := req(cookie, "visitor:someone-else"); again.AccessToken != first.AccessToken {
		t.Fatal("a returning visitor did not get its own session back")
	}
	// A browser SDK must send some token: a placeholder is no key at all
	// and lands in the visitor's own session.
	status, _, data := f.do(t, "POST", "/token", "", map[string]string{"Origin": shopOrigin, "Cookie": cookie, "Authorization": "Bearer public"})
	if status != 200 || decode[tokenAnswer](t, data).AccessToken != first.AccessToken {
		t.Fatalf("placeholder token from the public origin: status %d %s", status, data)
	}
	// A forged cookie does not open anyone's session.
	name, value, _ := strings.Cut(cookie, "=")
	id, _, _ := strings.Cut(value, ".")
	forged := name + "=" + id + ".AAAA"
	_, h2, other := req(forged, "")
	if other.AccessToken == first.AccessToken || h2.Get("Set-Cookie") == "" {
		t.Fatal("a forged cookie reached the visitor's session")
	}
}

func TestFloodFromOneIPIsBounded(t *testing.T) {
	f, _ := guarded(t)
	var wg sync.WaitGroup
	var mu sync.Mutex
	counts := map[int]int{}
	start := time.Now()
	for range 200 {
		wg.Go(func() {
			status, _, _ := f.do(t, "POST", "/token", "", map[string]string{"Origin": shopOrigin})
			mu.Lock()
			counts[status]++
			mu.Unlock()
		})
	}
	wg.Wait()
	// 5/s with burst 5: the burst plus what refilled while the flood ran
	// (a busy machine makes it run longer, never lets more through).
	budget := 5 + int(5*time.Since(start).Seconds()) + 1
	// A mint that times out on a busy machine answers 504: honest, and
	// not a request let through.
	if counts[200] > budget || counts[200]+counts[504] < 5 || counts[429] != 200-counts[200]-counts[504] {
		t.Fatalf("statuses %v from one IP under a 5/s burst 5 limit (budget %d)", counts, budget)
	}
	if m := f.emu.Mints(); m > budget {
		t.Fatalf("%d mints from a flood of new visitors", m)
	}
}

// clientID is the identity (policy.Client.ID()) of the configured client
// named name.
func clientID(f *fixture, name string) string {
	for _, c := range f.cfg.Access.Clients {
		if c.Name == name {
			return c.ID()
		}
	}
	panic("no client " + name)
}
