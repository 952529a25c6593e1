package emulator

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
)

// invalidGrant is a 400 invalid_grant failure.
func invalidGrant(msg string) *oauthErr {
	return newOAuthErr(http.StatusBadRequest, "invalid_grant", msg)
}

// grantCode redeems an authorization code of a web app (with its client
// secret) or a PKCE app (with the code_verifier). A code is single-use: the
// first redemption by its own app spends it, whatever the outcome.
func (s *Server) grantCode(w http.ResponseWriter, r *http.Request, req *tokenRequest) *oauthErr {
	c, e := s.clientFor(req.clientID, "the authorization code flow", kindWeb, kindPKCE)
	if e != nil {
		return e
	}
	if e := authenticateClient(r, c); e != nil {
		return e
	}
	switch {
	case req.code == "":
		return invalidRequest("invalid request: code is required")
	case req.redirectURI == "":
		return invalidRequest("invalid request: redirect_uri is required")
	}
	now := s.now()
	s.mu.Lock()
	ac, ok := s.codes.get(req.code)
	var used bool
	if ok && ac.req.clientID == c.id {
		used, ac.used = ac.used, true
	}
	s.mu.Unlock()
	switch {
	case !ok || ac.req.clientID != c.id:
		return invalidGrant("authorization code is invalid: it was not issued to this client_id")
	case used:
		return invalidGrant("authorization code has already been used: start the authorization again")
	case ac.lapsed(now):
		return invalidGrant("authorization code has expired: start the authorization again")
	case req.redirectURI != ac.req.redirectURI:
		return invalidGrant("redirect_uri does not match the one of the authorize request")
	case ac.req.challenge == "" && req.verifier != "":
		return invalidGrant("code_verifier sent for a code requested without code_challenge")
	case ac.req.challenge != "" && req.verifier == "":
		return invalidGrant("code_verifier is required: the authorize request carried a code_challenge")
	case ac.req.challenge != "" && !verifyPKCE(ac.req.method, ac.req.challenge, req.verifier):
		return invalidGrant("code_verifier does not match the code_challenge")
	}
	s.issueUserTokens(w, userGrant{
		grant: GrantAuthorizationCode, clientID: c.id, user: ac.user, workspace: ac.req.workspace,
	}, req.duration)
	return nil
}

// verifyPKCE checks a code_verifier against a challenge (RFC 7636).
func verifyPKCE(method, challenge, verifier string) bool {
	if !validVerifier(verifier) {
		return false
	}
	want := verifier
	if method == "S256" {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return subtle.ConstantTimeCompare([]byte(want), []byte(challenge)) == 1
}

// validVerifier reports whether v is 43 to 128 unreserved characters.
func validVerifier(v string) bool {
	return len(v) >= 43 && len(v) <= 128 && pkceChars(v)
}

// pkceChars reports whether v has only A-Z a-z 0-9 - . _ ~.
func pkceChars(v string) bool {
	for i := range len(v) {
		b := v[i]
		if !('A' <= b && b <= 'Z' || 'a' <= b && b <= 'z' || '0' <= b && b <= '9' || b == '-' || b == '.' || b == '_' || b == '~') {
			return false
		}
	}
	return true
}

// newSecret returns 32 random bytes in base64url: a code, device code or
// refresh token.
func newSecret() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}
