package coze

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
)

// Code challenge methods of PKCE (RFC 7636).
const (
	ChallengeS256  = "S256"
	ChallengePlain = "plain"
)

// NewVerifier returns a fresh PKCE code verifier: 43 characters of
// base64url (a subset of RFC 7636's unreserved set) carrying 256 bits from
// crypto/rand. Use one per login and keep it secret until the code
// exchange.
func NewVerifier() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("draw a PKCE code verifier: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// S256Challenge is the S256 code challenge of verifier: the unpadded
// base64url of its SHA-256.
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// ValidVerifier checks the form RFC 7636 gives a code verifier (and a
// plain challenge): 43 to 128 characters of A-Z a-z 0-9 - . _ ~.
func ValidVerifier(v string) error {
	if len(v) < 43 || len(v) > 128 {
		return fmt.Errorf("a PKCE code verifier has 43 to 128 characters, this one %d: make one with NewVerifier", len(v))
	}
	for i := 0; i < len(v); i++ {
		if !unreserved(v[i]) {
			return fmt.Errorf("a PKCE code verifier has only the characters A-Z a-z 0-9 - . _ ~; this one has another at position %d: make one with NewVerifier", i+1)
		}
	}
	return nil
}

func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
