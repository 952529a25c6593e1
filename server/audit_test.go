package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// TestDenialsAreAudited: every refusal leaves a line naming the rule that
// refused (code), who asked and from where — and of a presented key only
// its header, length and whether it looked like a client key.
func TestDenialsAreAudited(t *testing.T) {
	f := newEdgeFixture(t, false, nil)
	k := f.keys
	wrong := "cza_" + strings.Repeat("Q", 43)
	f.send(t, "POST", "/token", "", "", nil)
	f.send(t, "POST", "/token", "", "", hdr("Authorization", "Bearer "+wrong))
	f.send(t, "POST", "/token", "", "", hdr("X-API-Key", "not-a-client-key"))
	f.send(t, "POST", "/token", "", "", hdr("Authorization", "Bearer "+k.revoked))
	f.send(t, "GET", "/v1/users/me", "", "", hdr("X-API-Key", k.alpha, "Origin", "https://evil.example"))
	for range 3 {
		f.send(t, "POST", "/token", "", "", hdr("X-API-Key", k.slow))
	}
	a := f.audit.String()
	for _, want := range []string{
		`msg=denied code=missing_client_key status=401 client="" policy="" ip=127.0.0.1 method=POST path=/token`,
		`code=invalid_client_key status=401 client="" policy="" ip=127.0.0.1 method=POST path=/token credential.header=Authorization credential.len=47 credential.cza_prefix=true`,
		`credential.header=X-API-Key credential.len=16 credential.cza_prefix=false`,
		`code=origin_not_allowed status=403 client=alpha policy=backend ip=127.0.0.1 method=GET path=/v1/users/me`,
		`code=rate_limited status=429 client=slow policy=strict`,
	} {
		if !strings.Contains(a, want) {
			t.Errorf("audit lacks %q:\n%s", want, a)
		}
	}
	for _, key := range []string{wrong, k.alpha, k.slow, k.revoked, "not-a-client-key"} {
		if strings.Contains(a, key[4:12]) {
			t.Fatalf("a presented key (or a piece of it) reached the audit log:\n%s", a)
		}
	}
}

// TestAuditHoldsNoTokensOrKeys drives tokens, gateway calls and refusals,
// then looks for any token or key in the audit log.
func TestAuditHoldsNoTokensOrKeys(t *testing.T) {
	f := newEdgeFixture(t, false, nil)
	k := f.keys
	var tokens []string
	for _, h := range [][]string{{"X-API-Key", k.alpha, "X-User-ID", "u1"}, {"Authorization", "Bearer " + k.beta}, {"Origin", shopOrigin}} {
		status, _, body := f.send(t, "POST", "/token", "", "", hdr(h...))
		if status != 200 {
			t.Fatalf("%d %s", status, body)
		}
		tokens = append(tokens, decode[tokenAnswer](t, body).AccessToken)
	}
	f.send(t, "GET", "/v1/users/me", "", "", hdr("X-API-Key", k.alpha))
	f.send(t, "POST", "/token", "", "", hdr("X-API-Key", k.alpha, "Authorization", "Bearer "+k.beta))
	f.send(t, "POST", "/token", "", "", hdr("X-API-Key", k.alpha+"x"))
	a := f.audit.String()
	if strings.Count(a, "msg=token") != 3 || strings.Count(a, "msg=gateway") != 1 || strings.Count(a, "msg=denied") != 2 {
		t.Fatalf("expected token and denied lines:\n%s", a)
	}
	for _, secret := range append(tokens, k.alpha, k.beta, k.alpha[4:14], k.beta[4:14]) {
		if strings.Contains(a, secret) {
			t.Fatalf("a token or key reached the audit log:\n%s", a)
		}
	}
}

func TestSessionAttrHashesWhenAsked(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	f := newEdgeFixture(t, false, func(a *config.Access) { a.Audit = config.Audit{HashSessions: true, SessionKey: key} })
	if status, _, body := f.send(t, "POST", "/token", "", "", hdr("X-API-Key", f.keys.alpha, "X-User-ID", "bob-the-user")); status != 200 {
		t.Fatalf("%d %s", status, body)
	}
	session, _ := f.emu.LastClaims()["session_name"].(string) // alpha#<id>:bob-the-user
	if !strings.HasSuffix(session, ":bob-the-user") {
		t.Fatalf("session_name %q", session)
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(session))
	want := "session=hmac:" + hex.EncodeToString(m.Sum(nil)[:12])
	if a := f.audit.String(); strings.Contains(a, "bob-the-user") || !strings.Contains(a, want) {
		t.Fatalf("audit should hold %s and not the session name:\n%s", want, a)
	}
	// No key configured: a per-process key, the same for every server of
	// this process, unlike the configured one.
	s1 := serverWithConfig(&config.Config{Access: config.Access{Audit: config.Audit{HashSessions: true}}})
	s2 := serverWithConfig(&config.Config{Access: config.Access{Audit: config.Audit{HashSessions: true}}})
	h1, h2 := s1.sessionAttr("alice").Value.String(), s2.sessionAttr("alice").Value.String()
	if h1 != h2 || !strings.HasPrefix(h1, "hmac:") || h1 == f.server.sessionAttr("alice").Value.String() {
		t.Fatalf("per-process hashes %q %q", h1, h2)
	}
	clear := serverWithConfig(&config.Config{})
	if v := clear.sessionAttr("alice").Value.String(); v != "alice" {
		t.Fatalf("without hash_sessions the session is %q", v)
	}
}

// serverWithConfig is a bare Server whose generation holds cfg.
func serverWithConfig(cfg *config.Config) *Server {
	s := &Server{}
	s.access.Store(&access{cfg: cfg})
	return s
}
