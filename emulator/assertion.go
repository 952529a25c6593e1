package emulator

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"
)

// assertion is a verified JWT-bearer assertion.
type assertion struct {
	clientID string // iss
	keyID    string // the header's kid
	session  string // session_name, "" if absent
	raw      []byte // the claims JSON
}

// jwtErr is a 401 invalid_client failure with the given message.
func jwtErr(msg string) *oauthErr {
	return newOAuthErr(http.StatusUnauthorized, "invalid_client", msg)
}

var (
	errMalformed = jwtErr("invalid jwt: token is malformed")
	errNotObject = errors.New("emulator: not a single JSON object")
)

// verifyAssertion checks a compact JWS the way Coze does, in this order:
// header (RS256, JWT, kid), kid registered, signature, iss, aud, iat, exp,
// jti. A fully valid assertion's jti is consumed. host is the Host the
// token request was sent to, an accepted aud.
func (s *Server) verifyAssertion(tok, host string, now time.Time) (*assertion, *oauthErr) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, errMalformed
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errMalformed
	}
	var hdr struct {
		Alg string `json:"alg"`
		Typ string `json:"typ"`
		Kid string `json:"kid"`
	}
	if json.Unmarshal(hb, &hdr) != nil {
		return nil, errMalformed
	}
	switch {
	case hdr.Alg != "RS256":
		return nil, jwtErr("invalid jwt: signing method must be RS256")
	case hdr.Typ != "JWT":
		return nil, jwtErr("invalid jwt: typ must be JWT")
	case hdr.Kid == "":
		return nil, jwtErr("invalid jwt: kid is missing")
	}
	key, ok := s.lookupKey(hdr.Kid)
	if !ok {
		return nil, jwtErr("invalid jwt: kid not been registred") // sic: Coze's wording
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return nil, errMalformed
	}
	digest := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(key.pub, crypto.SHA256, digest[:], sig) != nil {
		return nil, jwtErr("invalid jwt: signature is invalid")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errMalformed
	}
	claims, err := decodeClaims(payload)
	if err != nil {
		return nil, errMalformed
	}
	a, e := s.checkClaims(claims, key.clientID, host, now)
	if e != nil {
		return nil, e
	}
	a.raw, a.keyID = payload, hdr.Kid
	return a, nil
}

// decodeClaims parses a JSON object keeping numbers exact.
func decodeClaims(b []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil || dec.More() {
		return nil, errNotObject
	}
	return m, nil
}

// checkClaims validates the registered claims of a signature-checked
// assertion for the app clientID and, if all pass, consumes its jti.
func (s *Server) checkClaims(c map[string]any, clientID, host string, now time.Time) (*assertion, *oauthErr) {
	if iss, _ := c["iss"].(string); iss != clientID {
		return nil, jwtErr("invalid jwt: iss mismatch")
	}
	if !audContains(c["aud"], s.acceptedAudience(host)) {
		return nil, jwtErr("invalid jwt: aud mismatch")
	}
	nowSec := float64(now.UnixNano()) / 1e9
	leeway := s.leeway.Seconds()
	iat, ok := numericClaim(c["iat"])
	if !ok {
		return nil, jwtErr("invalid jwt: iat is required")
	}
	if iat > nowSec+leeway {
		return nil, jwtErr("invalid jwt: iat is in the future")
	}
	exp, ok := numericClaim(c["exp"])
	if !ok {
		return nil, jwtErr("invalid jwt: exp is required")
	}
	if exp <= nowSec-leeway {
		return nil, jwtErr("invalid jwt: token is expired")
	}
	a := &assertion{clientID: clientID}
	if v, present := c["session_name"]; present && v != nil {
		sn, ok := v.(string)
		if !ok {
			return nil, jwtErr("invalid jwt: session_name must be a string")
		}
		a.session = sn
	}
	jti, _ := c["jti"].(string)
	if jti == "" {
		return nil, jwtErr("invalid jwt: jti is required")
	}
	s.mu.Lock()
	fresh := s.jtis.use(clientID+"\x00"+jti, exp, nowSec-leeway)
	s.mu.Unlock()
	if !fresh {
		return nil, jwtErr("invalid jwt: jti has been used")
	}
	return a, nil
}

// acceptedAudience reports which aud values an assertion sent to host may
// name: the region's audience, Options.Audiences and host itself
// (host[:port], compared case-insensitively, as the SDKs derive it from
// their base URL).
func (s *Server) acceptedAudience(host string) func(string) bool {
	return func(aud string) bool {
		return aud != "" && (aud == s.audience || slices.Contains(s.audExtra, aud) || strings.EqualFold(aud, host))
	}
}

// audContains reports whether aud (a string or an array of strings) names
// a value ok accepts.
func audContains(aud any, ok func(string) bool) bool {
	switch v := aud.(type) {
	case string:
		return ok(v)
	case []any:
		for _, x := range v {
			if s, isStr := x.(string); isStr && ok(s) {
				return true
			}
		}
	}
	return false
}

// numericClaim returns a NumericDate claim (a JSON number) in seconds.
func numericClaim(v any) (float64, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}
