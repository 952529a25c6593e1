package jwtinfo_test

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/jwtinfo"
)

var (
	once         sync.Once
	key1, key2   *rsa.PrivateKey
	now          = time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	thirtyDays   = 30 * 24 * time.Hour
	fiveMinutes  = 5 * time.Minute
	assertionFor = func(t *testing.T, k *rsa.PrivateKey, ttl time.Duration) string {
		t.Helper()
		tok, err := (&coze.Signer{ClientID: "1170000000000", KeyID: "kid1", Key: k, Audience: "api.coze.cn", TTL: ttl}).
			Sign(now, coze.Claims{SessionName: "alice"})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
)

func keys(t *testing.T) {
	t.Helper()
	once.Do(func() {
		var err error
		if key1, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if key2, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
}

func TestParseAssertion(t *testing.T) {
	keys(t)
	tok, err := jwtinfo.Parse("Bearer " + assertionFor(t, key1, fiveMinutes) + "\n")
	if err != nil {
		t.Fatal(err)
	}
	if tok.Alg != "RS256" || tok.Typ != "JWT" || tok.Kid != "kid1" || tok.String("session_name") != "alice" {
		t.Errorf("token = %+v", tok)
	}
	times := tok.Times()
	if len(times) != 2 || times[0].Name != "iat" || !times[0].At.Equal(now) || times[1].Name != "exp" || !times[1].At.Equal(now.Add(fiveMinutes)) {
		t.Errorf("Times = %v", times)
	}
	if lint := jwtinfo.Lint(tok); len(lint) != 0 {
		t.Errorf("cozeauth's own assertion is flagged: %v", lint)
	}
	if !strings.Contains(jwtinfo.Indent(tok.Claims, "  "), "\n    \"aud\": \"api.coze.cn\"") {
		t.Errorf("Indent:\n%s", jwtinfo.Indent(tok.Claims, "  "))
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "no token"},
		{"czs_abcdef", "Coze access token"},
		{"pat_abcdef", "personal access token"},
		{"a.b", "3 dot-separated parts"},
		{"!!.e30.AA", "header is not base64url"},
		{"WzFd.e30.AA", "header is not a JSON object"},
		{"e30.e30.!!", "signature is not base64url"},
	}
	for _, tt := range tests {
		_, err := jwtinfo.Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
	if _, err := jwtinfo.Parse("czs_x"); !errors.Is(err, jwtinfo.ErrOpaque) {
		t.Error("czs_ is not ErrOpaque")
	}
}

func TestLintFlagsThePHPMistake(t *testing.T) {
	keys(t)
	tok, err := jwtinfo.Parse(assertionFor(t, key1, thirtyDays))
	if err != nil {
		t.Fatal(err)
	}
	lint := strings.Join(jwtinfo.Lint(tok), "\n")
	if !strings.Contains(lint, "exp is 30 days after iat") {
		t.Errorf("30-day assertion not flagged: %q", lint)
	}
}

func TestLintOther(t *testing.T) {
	keys(t)
	claims := jwt.MapClaims{"iss": "my-bot", "aud": "api.coze.io", "iat": now.Unix()}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := jwtinfo.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	lint := strings.Join(jwtinfo.Lint(tok), "\n")
	for _, want := range []string{`alg is "HS256"`, "no kid", "no exp", "no jti", `iss "my-bot" is not a numeric app id`, `aud "api.coze.io"`} {
		if !strings.Contains(lint, want) {
			t.Errorf("lint lacks %q:\n%s", want, lint)
		}
	}
	if err := jwtinfo.VerifySignature(tok, &key1.PublicKey); err == nil || !strings.Contains(err.Error(), "only RS256") {
		t.Errorf("HS256 verified: %v", err)
	}
}

func TestVerify(t *testing.T) {
	keys(t)
	tok, err := jwtinfo.Parse(assertionFor(t, key1, fiveMinutes))
	if err != nil {
		t.Fatal(err)
	}
	if err := jwtinfo.VerifySignature(tok, &key1.PublicKey); err != nil {
		t.Errorf("own signature: %v", err)
	}
	if err := jwtinfo.VerifySignature(tok, &key2.PublicKey); err == nil || !strings.Contains(err.Error(), "does not match this public key") {
		t.Errorf("other key: %v", err)
	}
	if err := jwtinfo.CheckTimes(tok, now.Add(time.Minute), 0); err != nil {
		t.Errorf("fresh: %v", err)
	}
	if err := jwtinfo.CheckTimes(tok, now.Add(3*time.Hour), 0); err == nil || !strings.Contains(err.Error(), "expired 3 h ago") {
		t.Errorf("old: %v", err)
	}
	if err := jwtinfo.CheckTimes(tok, now.Add(-10*time.Minute), time.Minute); err == nil || !strings.Contains(err.Error(), "in the future") {
		t.Errorf("early: %v", err)
	}
}
