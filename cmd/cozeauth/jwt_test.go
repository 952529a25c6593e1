package main

import (
	"bytes"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// signAt signs an assertion for the test app with key A at t.
func signAt(t *testing.T, at time.Time, ttl time.Duration) string {
	t.Helper()
	testKeys(t)
	s := &coze.Signer{ClientID: testAppID, KeyID: testKid, Key: keyA, Audience: "api.coze.cn", TTL: ttl}
	tok, err := s.Sign(at, coze.Claims{SessionName: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

var curlRE = regexp.MustCompile(`curl -sS -X POST (\S+) \\\n  -H 'Content-Type: application/json' \\\n  -H 'Authorization: Bearer (\S+)' \\\n  -d '(.+)'\n`)

// TestJWTSign checks the printed assertion and curl line are what the
// emulator accepts.
func TestJWTSign(t *testing.T) {
	emu, cfg, _ := cnSetup(t)
	out, errOut, code := cli(t, "", "jwt", "sign", "--config", cfg, "--session", "bob")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	assertion := strings.TrimSpace(out)
	m := curlRE.FindStringSubmatch(errOut)
	if m == nil {
		t.Fatalf("no curl line on stderr:\n%s", errOut)
	}
	if m[2] != assertion || !strings.HasSuffix(m[1], "/api/permission/oauth2/token") || !strings.Contains(m[3], `"grant_type":"`+coze.GrantJWT+`"`) {
		t.Errorf("curl line: url %s, body %s", m[1], m[3])
	}
	wantAll(t, errOut, "single use", "app id "+testAppID, "key id "+testKid, "aud api.coze.cn")
	// Do what the curl line does.
	req, _ := http.NewRequest("POST", m[1], bytes.NewBufferString(m[3]))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+m[2])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || emu.MintsFor(testAppID, "bob") != 1 {
		t.Errorf("the emulator answered %d to the curl line", resp.StatusCode)
	}
}

func TestJWTDecode(t *testing.T) {
	now := time.Now()
	tests := []struct {
		name, token string
		want        []string
		dontWant    []string
	}{
		{"fresh assertion", signAt(t, now.Add(-time.Minute), 15*time.Minute),
			[]string{"header", `"alg": "RS256"`, `"kid": "kid-a"`, "claims", `"iss": "1170000000001"`, `"session_name": "alice"`,
				"times", "iat", "(1 min ago)", "exp", "(expires in 14 min)", "256 bytes, not verified"}, []string{"!"}},
		{"expired", signAt(t, now.Add(-3*time.Hour), 5*time.Minute), []string{"(expired 3 h ago)"}, nil},
		{"the PHP mistake", signAt(t, now, 30*24*time.Hour), []string{"! exp is 30 days after iat", "keep it short"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := cli(t, "", "jwt", "decode", tt.token)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errOut)
			}
			wantAll(t, out, tt.want...)
			for _, w := range tt.dontWant {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
	// From stdin.
	out, _, code := cli(t, signAt(t, now, 5*time.Minute)+"\n", "jwt", "decode", "-")
	if code != 0 || !strings.Contains(out, `"aud": "api.coze.cn"`) {
		t.Errorf("stdin: exit %d\n%s", code, out)
	}
	// Opaque tokens and garbage fail.
	for in, want := range map[string]string{"czs_abc": "Coze access token", "abc.def": "not a JWT"} {
		if _, errOut, code := cli(t, "", "jwt", "decode", in); code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("decode %s: exit %d, %s", in, code, errOut)
		}
	}
}

func TestJWTVerify(t *testing.T) {
	testKeys(t)
	dir := t.TempDir()
	pubA := writeFile(t, dir, "a.pem", publicPEM(t, keyA), 0o644)
	pubB := writeFile(t, dir, "b.pem", publicPEM(t, keyB), 0o644)
	priv := writeFile(t, dir, "priv.pem", pkcs8PEM(t, keyA), 0o600)
	now := time.Now()
	fresh := signAt(t, now, 5*time.Minute)
	tests := []struct {
		name, pub, token string
		code             int
		want             []string
	}{
		{"valid", pubA, fresh, 0, []string{"✓ signature", "RS256 signature is valid for " + pubA, "✓ times", "expires in 5 min"}},
		{"other key", pubB, fresh, 1, []string{"✗ signature", "does not match this public key"}},
		{"expired", pubA, signAt(t, now.Add(-3*time.Hour), 5*time.Minute), 1, []string{"✓ signature", "✗ times", "expired 3 h ago"}},
		{"tampered", pubA, fresh[:len(fresh)-4] + "AAAA", 1, []string{"✗ signature"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, errOut, code := cli(t, "", "jwt", "verify", "--pub", tt.pub, tt.token)
			if code != tt.code {
				t.Errorf("exit %d, want %d: %s", code, tt.code, errOut)
			}
			wantAll(t, out, tt.want...)
		})
	}
	if _, errOut, code := cli(t, "", "jwt", "verify", "--pub", priv, fresh); code != 1 || !strings.Contains(errOut, "private key where the public key belongs") {
		t.Errorf("private key as --pub: exit %d, %s", code, errOut)
	}
	if _, errOut, code := cli(t, "", "jwt", "verify", fresh); code != 1 || !strings.Contains(errOut, `"pub" not set`) {
		t.Errorf("no --pub: exit %d, %s", code, errOut)
	}
}

// TestJWTVerifyAgainstEmulatorKey checks verify agrees with the emulator
// about an assertion jwt sign made.
func TestJWTVerifyAgainstEmulatorKey(t *testing.T) {
	_, cfg, dir := cnSetup(t)
	out, _, _ := cli(t, "", "jwt", "sign", "--config", cfg)
	pub := writeFile(t, dir, "public_key.pem", publicPEM(t, keyA), 0o644)
	if _, _, code := cli(t, strings.TrimSpace(out), "jwt", "verify", "--pub", pub, "-"); code != 0 {
		t.Error("jwt verify refused jwt sign's assertion")
	}
}
