package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
)

// Token-endpoint wire constants.
const (
	// GrantJWTBearer is the only grant_type the emulator supports so far.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// DefaultDurationSeconds is the token lifetime when duration_seconds is absent.
	DefaultDurationSeconds = 900
	// MaxDurationSeconds is the longest token lifetime Coze grants.
	MaxDurationSeconds = 86399
	// MaxBodyBytes bounds a token request body.
	MaxBodyBytes = 64 << 10
)

// tokenRequest is the parsed JSON body of a token request.
type tokenRequest struct {
	duration int64
	clientID string          // "" if absent
	scope    json.RawMessage // the body's scope object, nil if absent
}

func invalidRequest(msg string) *oauthErr {
	return newOAuthErr(http.StatusBadRequest, "invalid_request", msg)
}

// serveToken answers the token endpoint and its account/enterprise variants.
func (s *Server) serveToken(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests++
	s.lastPath = r.URL.Path
	s.mu.Unlock()

	if f, ok := s.takeFault(); ok && s.applyFault(w, r, f) {
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, newOAuthErr(http.StatusMethodNotAllowed, "invalid_request", "method not allowed: use POST"))
		return
	}
	req, e := s.readTokenRequest(w, r)
	if e == nil {
		e = s.grantJWT(w, r, req)
	}
	if e != nil {
		writeOAuthError(w, e)
	}
}

// grantJWT verifies the bearer assertion and mints a token, writing the
// success answer itself.
func (s *Server) grantJWT(w http.ResponseWriter, r *http.Request, req *tokenRequest) *oauthErr {
	tok, ok := bearer(r)
	if !ok {
		return jwtErr("missing authorization")
	}
	now := s.now()
	a, e := s.verifyAssertion(tok, now)
	if e != nil {
		return e
	}
	s.mu.Lock()
	s.lastClaims = a.raw
	s.mu.Unlock()
	if req.clientID != "" && req.clientID != a.clientID {
		return invalidRequest("client_id does not match the assertion's iss")
	}
	exp := now.Unix() + req.duration
	access := s.issueToken(a.clientID, a.session, exp)
	s.mu.Lock()
	s.mints++
	s.mintsBy[mintKey{a.clientID, a.session}]++
	s.recordGrant(Grant{ClientID: a.clientID, KeyID: a.keyID, Session: a.session, Scope: req.scope, Duration: req.duration})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": access,
		"expires_in":   exp,
		"token_type":   "Bearer",
	})
	return nil
}

// readTokenRequest checks the content type and decodes the body.
func (s *Server) readTokenRequest(w http.ResponseWriter, r *http.Request) (*tokenRequest, *oauthErr) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, invalidRequest("Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, newOAuthErr(http.StatusRequestEntityTooLarge, "invalid_request",
				fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes))
		}
		return nil, invalidRequest("cannot read request body")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		s.setLastBody(nil)
		return nil, invalidRequest("request body must be a JSON object")
	}
	s.setLastBody(body)
	return parseTokenFields(fields)
}

// parseTokenFields validates grant_type, duration_seconds, scope and client_id.
func parseTokenFields(f map[string]json.RawMessage) (*tokenRequest, *oauthErr) {
	var grant string
	if json.Unmarshal(f["grant_type"], &grant) != nil || grant != GrantJWTBearer {
		return nil, newOAuthErr(http.StatusBadRequest, "unsupported_grant_type",
			"grant_type must be "+GrantJWTBearer)
	}
	req := &tokenRequest{duration: DefaultDurationSeconds}
	if raw := f["duration_seconds"]; present(raw) {
		d, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil || d < 1 || d > MaxDurationSeconds {
			return nil, invalidRequest(fmt.Sprintf(
				"duration_seconds must be an integer between 1 and %d", MaxDurationSeconds))
		}
		req.duration = d
	}
	if raw := f["scope"]; present(raw) {
		if raw[0] != '{' {
			return nil, invalidRequest("scope must be a JSON object")
		}
		// The scope is kept, unvalidated beyond this, in the last body
		// (LastScope) and in the mint's Grant.
		req.scope = append(json.RawMessage(nil), raw...)
	}
	if raw := f["client_id"]; present(raw) {
		switch {
		case raw[0] == '"':
			_ = json.Unmarshal(raw, &req.clientID) // valid: the body parsed
		case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
			req.clientID = string(raw)
		default:
			return nil, invalidRequest("client_id must be a string")
		}
	}
	return req, nil
}

// present reports whether a raw JSON field exists and is not null.
func present(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// bearer extracts the credential of an "Authorization: Bearer <x>" header.
func bearer(r *http.Request) (string, bool) {
	return parseBearer(r.Header.Get("Authorization"))
}
