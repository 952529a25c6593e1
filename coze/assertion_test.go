package coze_test

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

func testSigner() *coze.Signer {
	return &coze.Signer{ClientID: "1171234567890", KeyID: "kid_test_1", Key: rsaKey, Audience: "api.coze.cn"}
}

func TestSignerSign(t *testing.T) {
	keys(t)
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ctx := &coze.SessionContext{DeviceInfo: &coze.DeviceInfo{DeviceID: "dev-1", CustomConsumer: "shop"}}
	scope := &coze.Scope{AccountPermission: &coze.AccountPermission{PermissionList: []string{"Connector.botChat"}}}
	tests := []struct {
		name    string
		ttl     time.Duration
		claims  coze.Claims
		wantTTL time.Duration
	}{
		{"defaults", 0, coze.Claims{}, coze.DefaultAssertionTTL},
		{"negative TTL means default", -time.Minute, coze.Claims{}, coze.DefaultAssertionTTL},
		{"custom TTL", 90 * time.Second, coze.Claims{}, 90 * time.Second},
		{"session name", 0, coze.Claims{SessionName: "user-42"}, coze.DefaultAssertionTTL},
		{"session name in Chinese", 0, coze.Claims{SessionName: "用户-七"}, coze.DefaultAssertionTTL},
		{"session context", 0, coze.Claims{SessionName: "u", SessionContext: ctx}, coze.DefaultAssertionTTL},
		{"scope in claims", 0, coze.Claims{Scope: scope}, coze.DefaultAssertionTTL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := testSigner()
			s.TTL = tt.ttl
			tok, err := s.Sign(now, tt.claims)
			if err != nil {
				t.Fatal(err)
			}
			hdr, claims, signed, sig := jwtParts(t, tok)

			if len(hdr) != 3 || hdr["alg"] != "RS256" || hdr["typ"] != "JWT" || hdr["kid"] != "kid_test_1" {
				t.Errorf("header = %v, want exactly alg RS256, typ JWT, kid kid_test_1", hdr)
			}
			if claims["iss"] != "1171234567890" {
				t.Errorf("iss = %#v", claims["iss"])
			}
			if claims["aud"] != "api.coze.cn" {
				t.Errorf("aud = %#v, want the string api.coze.cn", claims["aud"])
			}
			iat, exp := claimInt(t, claims, "iat"), claimInt(t, claims, "exp")
			if iat != now.Unix() {
				t.Errorf("iat = %d, want %d", iat, now.Unix())
			}
			if want := now.Add(tt.wantTTL).Unix(); exp != want {
				t.Errorf("exp = %d, want iat+%v = %d", exp, tt.wantTTL, want)
			}
			if jti, _ := claims["jti"].(string); len(jti) < 16 {
				t.Errorf("jti = %#v, want a random string of at least 16 characters", claims["jti"])
			}

			sn, hasSN := claims["session_name"]
			if tt.claims.SessionName == "" && hasSN {
				t.Errorf("session_name = %#v present though none was given", sn)
			}
			if tt.claims.SessionName != "" && sn != tt.claims.SessionName {
				t.Errorf("session_name = %#v, want %q", sn, tt.claims.SessionName)
			}
			sc, hasSC := claims["session_context"]
			if tt.claims.SessionContext == nil && hasSC {
				t.Errorf("session_context = %#v present though none was given", sc)
			}
			if tt.claims.SessionContext != nil {
				got, _ := json.Marshal(sc)
				if want := `{"device_info":{"custom_consumer":"shop","device_id":"dev-1"}}`; string(got) != want {
					t.Errorf("session_context = %s, want %s", got, want)
				}
			}
			sp, hasScope := claims["scope"]
			if tt.claims.Scope == nil && hasScope {
				t.Errorf("scope = %#v present though none was given", sp)
			}
			if tt.claims.Scope != nil {
				got, _ := json.Marshal(sp)
				if want := `{"account_permission":{"permission_list":["Connector.botChat"]}}`; string(got) != want {
					t.Errorf("scope = %s, want %s", got, want)
				}
			}
			for k := range claims {
				switch k {
				case "iss", "aud", "iat", "exp", "jti", "session_name", "session_context", "scope":
				default:
					t.Errorf("unexpected claim %q", k)
				}
			}

			digest := sha256.Sum256([]byte(signed))
			if err := rsa.VerifyPKCS1v15(&rsaKey.PublicKey, crypto.SHA256, digest[:], sig); err != nil {
				t.Errorf("signature does not verify with the signer's public key: %v", err)
			}
			if err := rsa.VerifyPKCS1v15(&rsaKey2.PublicKey, crypto.SHA256, digest[:], sig); err == nil {
				t.Error("signature verifies with an unrelated key")
			}
		})
	}
}

func TestSignerJTIUnique(t *testing.T) {
	keys(t)
	s := testSigner()
	// jti does not depend on the key; a 1024-bit key signs about four times
	// faster, which keeps 1000 signatures cheap under -race.
	s.Key = rsa1024
	const workers, per = 8, 125 // 1000 signatures, concurrently: Signer is documented safe for concurrent use
	var (
		mu   sync.Mutex
		seen = make(map[string]bool, workers*per)
		wg   sync.WaitGroup
	)
	now := time.Now()
	for range workers {
		wg.Go(func() {
			for range per {
				tok, err := s.Sign(now, coze.Claims{})
				if err != nil {
					t.Error(err)
					return
				}
				_, claims, _, _ := jwtParts(t, tok)
				jti, _ := claims["jti"].(string)
				mu.Lock()
				if seen[jti] {
					t.Errorf("jti %q repeated", jti)
				}
				seen[jti] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != workers*per {
		t.Errorf("%d distinct jti in %d signatures", len(seen), workers*per)
	}
}

func TestSignerNoKey(t *testing.T) {
	s := &coze.Signer{ClientID: "1", KeyID: "k", Audience: "api.coze.cn"}
	if tok, err := s.Sign(time.Now(), coze.Claims{}); err == nil || tok != "" {
		t.Fatalf("Sign without a key = %q, %v; want an error", tok, err)
	}
}
