package coze

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/hex"
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// DefaultAssertionTTL is how long a signed assertion stays valid. It is used
// once, right away, so it is short.
const DefaultAssertionTTL = 5 * time.Minute

// Signer signs JWT assertions for one JWT app. It is safe for concurrent
// use.
type Signer struct {
	ClientID string          // the app id (iss), a numeric string
	KeyID    string          // the public key id (kid, 公钥指纹)
	Key      *rsa.PrivateKey // the app's private key
	Audience string          // aud, e.g. "api.coze.cn"
	TTL      time.Duration   // assertion lifetime; DefaultAssertionTTL when zero
}

// Claims are the per-assertion inputs besides the app's identity.
type Claims struct {
	SessionName    string
	SessionContext *SessionContext
	Scope          *Scope // only for integrations that want it in the claims
}

// Sign returns a compact RS256 JWT with header {alg,typ,kid} and claims
// iss, aud, iat, exp, jti and, when set, session_name and session_context.
func (s *Signer) Sign(now time.Time, c Claims) (string, error) {
	if s.Key == nil {
		return "", errors.New("signer has no private key")
	}
	ttl := s.TTL
	if ttl <= 0 {
		ttl = DefaultAssertionTTL
	}
	jti, err := newJTI()
	if err != nil {
		return "", err
	}
	claims := jwt.MapClaims{
		"iss": s.ClientID,
		"aud": s.Audience,
		"iat": now.Unix(),
		"exp": now.Add(ttl).Unix(),
		"jti": jti,
	}
	if c.SessionName != "" {
		claims["session_name"] = c.SessionName
	}
	if c.SessionContext != nil {
		claims["session_context"] = c.SessionContext
	}
	if c.Scope != nil {
		claims["scope"] = c.Scope
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, claims)
	tok.Header["kid"] = s.KeyID
	return tok.SignedString(s.Key)
}

func newJTI() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return hex.EncodeToString(b[:]), nil
}
