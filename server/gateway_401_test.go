package server

import (
	"net/http"
	"strings"
	"testing"
)

func always401(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(401)
	w.Write([]byte(`{"code":4100,"msg":"authentication is invalid"}`))
}

// TestGatewayAlways401CostsOneRemint holds the "re-mint storm": a path
// that always answers 401 must not make cozeauth drop and re-mint the
// session's shared token on every call. Within the retry window the 401
// goes to the caller and the token stays.
func TestGatewayAlways401CostsOneRemint(t *testing.T) {
	f, up := gatewayFixture(t, always401, Options{})
	for i := range 40 {
		if status, _, _ := f.do(t, "POST", "/v1/bot/publish", `{"bot_id":"7"}`, nil); status != 401 {
			t.Fatalf("call %d: %d, want Coze's 401 passed on", i, status)
		}
	}
	if m := f.emu.Mints(); m > 2 {
		t.Fatalf("%d mints for 40 calls to a path that always answers 401; want at most 2", m)
	}
	if n := up.count(); n != 41 {
		t.Fatalf("%d upstream calls; want 41 (one replay, then every 401 passed on)", n)
	}
}

// TestGateway401DropsTokenForUnreplayableCalls holds the opposite bug: a
// 401 to a call that cannot be replayed (an upload over 64 KiB, a
// WebSocket upgrade) must still drop the token, so the next call gets a
// fresh one instead of failing until the token's refresh point.
func TestGateway401DropsTokenForUnreplayableCalls(t *testing.T) {
	for _, kind := range []string{"upload", "websocket"} {
		t.Run(kind, func(t *testing.T) {
			f, up := gatewayFixture(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v1/users/me" {
					okJSON(w, r)
					return
				}
				always401(w, r)
			}, Options{})
			if status, _, _ := f.do(t, "GET", "/v1/users/me", "", nil); status != 200 {
				t.Fatalf("first call: %d", status)
			}
			first := up.last().Header.Get("Authorization")
			switch kind {
			case "upload":
				big := strings.Repeat("x", maxReplayBody+1)
				if status, _, _ := f.do(t, "POST", "/v1/files/upload", big, nil); status != 401 {
					t.Fatalf("upload: %d, want 401", status)
				}
			case "websocket":
				status, _ := rawRequest(t, f.srv.URL, "GET /v1/chat?bot_id=7 HTTP/1.1\r\nHost: gw\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"+
					"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: MDEyMzQ1Njc4OWFiY2RlZg==\r\n\r\n")
				if status != 401 {
					t.Fatalf("upgrade: %d, want 401", status)
				}
			}
			calls := up.count()
			if status, _, _ := f.do(t, "GET", "/v1/users/me", "", nil); status != 200 {
				t.Fatalf("next call: %d", status)
			}
			if up.count() != calls+1 || up.last().Header.Get("Authorization") == first || f.emu.Mints() != 2 {
				t.Fatalf("after Coze refused the token on an unreplayable call, the next call still used it (mints %d)", f.emu.Mints())
			}
		})
	}
}
