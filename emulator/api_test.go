package emulator_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// TestUsersMe covers the API endpoint's authentication.
func TestUsersMe(t *testing.T) {
	f := newFixture(t, nil)
	tok := wantOK(t, f, f.mint(map[string]any{"session_name": "alice"}, ""), 900)
	f.wantMe(tok, app1+"-alice")

	other := newFixture(t, nil)
	foreign := wantOK(t, other, other.mint(nil, ""), 900)

	f.wantMeRejected("")
	f.wantMeRejected("Bearer")
	f.wantMeRejected("Bearer " + foreign) // signed by another emulator's key
	f.wantMeRejected("Bearer " + tok[:len(tok)-2] + "xx")
	f.wantMeRejected("Bearer czs_" + strings.Repeat("A", 40))
	f.wantMeRejected("Bearer " + f.assertion1(nil)) // an assertion is not a token

	f.srv.AddPAT("pat_demo", "user-pat")
	f.wantMe("pat_demo", "user-pat")

	if r := f.do(context.Background(), "POST", "/v1/users/me", "", "Bearer "+tok, ""); r.status != 405 || r.int("code") == 0 {
		t.Errorf("POST users/me: %d %s", r.status, r.raw)
	}
	f.clk.Add(900 * time.Second)
	f.wantMeRejected("Bearer " + tok)
	if f.srv.Requests() != 1 {
		t.Errorf("API calls counted as token requests: %d", f.srv.Requests())
	}
}

// TestDefaults checks Options defaults.
func TestDefaults(t *testing.T) {
	if a := emulator.New(emulator.Options{}).Audience(); a != "api.coze.cn" {
		t.Errorf("default audience %q", a)
	}
	if a := emulator.New(emulator.Options{Region: "com"}).Audience(); a != "api.coze.com" {
		t.Errorf("com audience %q", a)
	}
	if a := emulator.New(emulator.Options{Region: "com", Audience: "x"}).Audience(); a != "x" {
		t.Errorf("explicit audience %q", a)
	}
	// A zero Leeway means 60 s; a negative one means none.
	f := newFixture(t, func(o *emulator.Options) { o.Leeway = -1 })
	if r := f.mint(map[string]any{"iat": f.clk.Now().Unix() + 1}, ""); r.str("error_message") != "invalid jwt: iat is in the future" {
		t.Errorf("no-leeway iat: %d %s", r.status, r.raw)
	}
}

// TestStatsEndpoint checks the benchmark-facing counters.
func TestStatsEndpoint(t *testing.T) {
	f := newFixture(t, nil)
	wantOK(t, f, f.mint(nil, ""), 900)
	_ = f.mint(map[string]any{"aud": "nope"}, "")
	r := f.do(context.Background(), "GET", "/_emulator/stats", "", "", "")
	if r.status != 200 || r.int("mints") != 1 || r.int("requests") != 2 {
		t.Errorf("stats: %d %s", r.status, r.raw)
	}
	if r := f.do(context.Background(), "DELETE", "/_emulator/stats", "", "", ""); r.status != 405 {
		t.Errorf("DELETE stats: %d", r.status)
	}
	if f.srv.Region() != "cn" {
		t.Errorf("region %q", f.srv.Region())
	}
}

// TestAPICalls checks APICalls, LastAPIAuth and the stats api_calls count
// authenticated API requests of every kind and nothing else.
func TestAPICalls(t *testing.T) {
	f := newFixture(t, func(o *emulator.Options) { o.StreamDelay = -1 })
	tok := f.accessToken()
	f.srv.AddPAT("pat_calls", "user-calls")
	want := func(what string, calls int, auth string) {
		t.Helper()
		r := f.do(context.Background(), http.MethodGet, "/_emulator/stats", "", "", "")
		if n := f.srv.APICalls(); n != calls || r.int("api_calls") != int64(calls) {
			t.Errorf("after %s: APICalls %d, stats %s; want %d", what, n, r.raw, calls)
		}
		if a := f.srv.LastAPIAuth(); a != auth {
			t.Errorf("after %s: LastAPIAuth %q, want %q", what, a, auth)
		}
	}
	want("a mint", 0, "")

	f.wantMe(tok, app1+"-")
	want("users/me", 1, tok)
	f.wantMeRejected("Bearer czs_wrong")
	want("a bad token", 1, "czs_wrong")
	f.wantMeRejected("")
	want("no token", 1, "")

	r := f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", "Bearer pat_calls", chatBody(false, "", "user:hi"))
	if r.int("code") != 0 {
		t.Fatalf("chat: %s", r.raw)
	}
	want("a chat", 2, "pat_calls")
	f.streamChat("", "Bearer "+tok, chatBody(true, "", "user:hi"))
	want("a streamed chat", 3, tok)
	// Bodies the endpoint refuses after authentication still count.
	f.do(context.Background(), http.MethodPost, "/v3/chat", "application/json", "Bearer "+tok, `{}`)
	want("a chat without bot_id", 4, tok)

	body, ctype := multipartBody(t, formPart{field: "file", filename: "f.txt", content: []byte("x")})
	wantUpload(t, f, f.upload("Bearer "+tok, ctype, body), "f.txt", []byte("x"))
	want("an upload", 5, tok)
	f.upload("Bearer nope", ctype, body)
	want("a rejected upload", 5, "nope")

	f.wsOpen("/v1/chat?bot_id=7001", wsAuth(tok))
	want("a WebSocket", 6, tok)
	f.wsOpen("/v1/chat?bot_id=7001&authorization=Bearer%20pat_calls", nil)
	want("a WebSocket authenticated by query", 7, "pat_calls")
	f.wsDial(f.wsRequest("/v1/chat", nil))
	want("a WebSocket without a token", 7, "")

	f.mint(nil, "")
	f.do(context.Background(), http.MethodGet, "/nowhere", "", "Bearer "+tok, "")
	want("a mint and an unknown path", 7, "")
	if f.srv.Requests() != 2 {
		t.Errorf("Requests = %d: API calls were counted as token requests", f.srv.Requests())
	}
}
