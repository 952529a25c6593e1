package server

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

func TestWorkerCompatibleToken(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct{ method, path string }{{"POST", "/"}, {"POST", "/token"}, {"GET", "/callback"}} {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			status, hdr, body := f.do(t, tc.method, tc.path, "", map[string]string{"X-User-ID": "alice"})
			if status != 200 {
				t.Fatalf("status %d: %s", status, body)
			}
			tok := decode[tokenAnswer](t, body)
			now := time.Now().Unix()
			if tok.TokenType != "Bearer" || !strings.HasPrefix(tok.AccessToken, "czs_") {
				t.Fatalf("answer %s", body)
			}
			if tok.ExpiresIn < now+800 || tok.ExpiresIn > now+901 {
				t.Fatalf("expires_in %d is not the absolute epoch second ~now+900 (%d)", tok.ExpiresIn, now+900)
			}
			if hdr.Get("Cache-Control") != "no-store" || hdr.Get("Content-Type") != "application/json" {
				t.Fatalf("headers %v", hdr)
			}
			if code := f.callCoze(t, tok.AccessToken); code != 200 {
				t.Fatalf("Coze refused the token handed out: %d", code)
			}
		})
	}
	if n := f.emu.MintsFor(goodClient, "alice"); n != 1 {
		t.Fatalf("three requests for one session made %d mints, want 1", n)
	}
}

func TestSessionName(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name, body, header, want string
	}{
		{"default", "", "", "default-session"},
		{"header", "", "bob", "bob"},
		{"chinese", "", "", "默认"},
		{"body wins", `{"session_name":"carol"}`, "bob", "carol"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			hdr := map[string]string{}
			if tc.header != "" {
				hdr["X-User-ID"] = tc.header
			}
			body := tc.body
			if tc.name == "chinese" {
				body = `{"session_name":"默认"}`
			}
			status, _, data := f.do(t, "POST", "/token", body, hdr)
			if status != 200 {
				t.Fatalf("status %d: %s", status, data)
			}
			if got := f.emu.LastClaims()["session_name"]; got != tc.want {
				t.Fatalf("Coze saw session_name %v, want %q", got, tc.want)
			}
		})
	}
}

func TestBodyOptionsReachCoze(t *testing.T) {
	f := newFixture(t)
	body := `{"app":"good","session_name":"s1","duration_seconds":600,
		"scope":{"account_permission":{"permission_list":["Connector.botChat"]},
		"attribute_constraint":{"connector_bot_chat_attribute":{"bot_id_list":["7001"]}}},
		"session_context":{"device_info":{"device_id":"dev-1"}}}`
	status, _, data := f.do(t, "POST", "/token", body, nil)
	if status != 200 {
		t.Fatalf("status %d: %s", status, data)
	}
	tok := decode[tokenAnswer](t, data)
	if d := tok.ExpiresIn - time.Now().Unix(); d < 590 || d > 601 {
		t.Fatalf("duration 600 gave a token expiring in %ds", d)
	}
	sent := f.emu.LastBody()
	if sent["duration_seconds"] != float64(600) {
		t.Fatalf("Coze saw duration_seconds %v", sent["duration_seconds"])
	}
	if !strings.Contains(fmt.Sprint(sent["scope"]), "7001") {
		t.Fatalf("Coze saw scope %v", sent["scope"])
	}
	if !strings.Contains(fmt.Sprint(f.emu.LastClaims()["session_context"]), "dev-1") {
		t.Fatalf("Coze saw session_context %v", f.emu.LastClaims()["session_context"])
	}
	// A different scope is a different token.
	f.do(t, "POST", "/token", `{"session_name":"s1","duration_seconds":600}`, nil)
	if n := f.emu.MintsFor(goodClient, "s1"); n != 2 {
		t.Fatalf("scoped and unscoped requests shared a token (%d mints)", n)
	}
}

func TestConcurrentColdRequestsMintOnce(t *testing.T) {
	f := newFixture(t)
	f.emu.Inject(emulator.Fault{Latency: 300 * time.Millisecond}) // keep the one mint in flight
	const n = 1000
	var wg sync.WaitGroup
	tokens := make([]string, n)
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", f.srv.URL+"/token", nil)
			req.Header.Set("X-User-ID", "crowd")
			resp, err := f.srv.Client().Do(req)
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			var tok tokenAnswer
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
				return
			}
			if err := jsonDecode(resp, &tok); err != nil {
				errs <- err
				return
			}
			tokens[i] = tok.AccessToken
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if m := f.emu.MintsFor(goodClient, "crowd"); m != 1 {
		t.Fatalf("%d concurrent cold requests made %d mints, want 1", n, m)
	}
	for _, tok := range tokens {
		if tok != tokens[0] {
			t.Fatal("callers got different tokens for one session")
		}
	}
}
