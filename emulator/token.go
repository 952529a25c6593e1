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
	// GrantJWTBearer is the grant_type of a JWT app's assertion.
	GrantJWTBearer = "urn:ietf:params:oauth:grant-type:jwt-bearer"
	// GrantAuthorizationCode is the grant_type of a web or PKCE app's code.
	GrantAuthorizationCode = "authorization_code"
	// GrantDeviceCode is the grant_type of a device app's polling.
	GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"
	// GrantRefreshToken is the grant_type of a refresh of a user grant.
	GrantRefreshToken = "refresh_token"
	// DefaultDurationSeconds is the token lifetime when duration_seconds is absent.
	DefaultDurationSeconds = 900
	// MaxDurationSeconds is the longest token lifetime Coze grants.
	MaxDurationSeconds = 86399
	// MaxBodyBytes bounds a token request body.
	MaxBodyBytes = 64 << 10
)

// tokenRequest is the parsed JSON body of a token request.
type tokenRequest struct {
	grant    string
	duration int64
	clientID string          // "" if absent
	scope    json.RawMessage // the body's scope object, nil if absent

	// The string fields of the user-delegated grants, "" if absent.
	code, redirectURI, verifier, deviceCode, refreshToken string
}

// grantFields names the string fields each user-delegated grant reads.
var grantFields = map[string][]string{
	GrantAuthorizationCode: {"code", "redirect_uri", "code_verifier"},
	GrantDeviceCode:        {"device_code"},
	GrantRefreshToken:      {"refresh_token"},
}

// field returns where a string field of a token request is kept.
func (req *tokenRequest) field(name string) *string {
	switch name {
	case "code":
		return &req.code
	case "redirect_uri":
		return &req.redirectURI
	case "code_verifier":
		return &req.verifier
	case "device_code":
		return &req.deviceCode
	default:
		return &req.refreshToken
	}
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

	f, faulted := s.takeFault(r.URL.Path)
	if faulted && s.applyFault(w, r, f, true) {
		return
	}
	if faulted && f.LoseAnswer {
		real := w
		w = &lostAnswer{header: http.Header{}}
		defer dropConnection(real)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, newOAuthErr(http.StatusMethodNotAllowed, "invalid_request", "method not allowed: use POST"))
		return
	}
	req, e := s.readTokenRequest(w, r)
	if e == nil {
		switch req.grant {
		case GrantJWTBearer:
			e = s.grantJWT(w, r, req)
		case GrantAuthorizationCode:
			e = s.grantCode(w, r, req)
		case GrantDeviceCode:
			e = s.grantDevice(w, req)
		case GrantRefreshToken:
			e = s.grantRefresh(w, r, req)
		}
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
	a, e := s.verifyAssertion(tok, r.Host, now)
	if e != nil {
		return e
	}
	s.mu.Lock()
	s.lastClaims = a.raw
	s.mu.Unlock()
	if req.clientID != "" && req.clientID != a.clientID {
		return invalidRequest("client_id does not match the assertion's iss")
	}
	allowed, e := s.tokenAccess(a.clientID, req.scope)
	if e != nil {
		return e
	}
	exp := now.Unix() + req.duration
	access := s.issueToken(a.clientID, a.session, exp, allowed)
	s.mu.Lock()
	s.mints++
	s.byGrant[GrantJWTBearer]++
	s.mintsBy[mintKey{a.clientID, a.session}]++
	s.recordGrant(Grant{GrantType: GrantJWTBearer, ClientID: a.clientID, KeyID: a.keyID,
		Session: a.session, Scope: req.scope, Duration: req.duration})
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
	body, fields, e := readJSONBody(w, r)
	if e != nil {
		if body != nil {
			s.setLastBody(nil)
		}
		return nil, e
	}
	s.setLastBody(body)
	return parseTokenFields(fields)
}

// readJSONObject reads a bounded application/json body holding one object.
func readJSONObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, *oauthErr) {
	_, fields, e := readJSONBody(w, r)
	return fields, e
}

// readJSONBody checks the content type and reads at most MaxBodyBytes of
// body, which must be one JSON object. On a body that was read but is not
// an object, it answers the body too.
func readJSONBody(w http.ResponseWriter, r *http.Request) ([]byte, map[string]json.RawMessage, *oauthErr) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		return nil, nil, invalidRequest("Content-Type must be application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, nil, newOAuthErr(http.StatusRequestEntityTooLarge, "invalid_request",
				fmt.Sprintf("request body exceeds %d bytes", MaxBodyBytes))
		}
		return nil, nil, invalidRequest("cannot read request body")
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) != nil || fields == nil {
		return body, nil, invalidRequest("request body must be a JSON object")
	}
	return body, fields, nil
}

// parseTokenFields validates grant_type, duration_seconds, scope, client_id
// and the string fields of the user-delegated grants.
func parseTokenFields(f map[string]json.RawMessage) (*tokenRequest, *oauthErr) {
	var grant string
	if json.Unmarshal(f["grant_type"], &grant) != nil || (grant != GrantJWTBearer && grantFields[grant] == nil) {
		return nil, newOAuthErr(http.StatusBadRequest, "unsupported_grant_type",
			"grant_type must be one of "+GrantJWTBearer+", "+GrantAuthorizationCode+", "+
				GrantDeviceCode+", "+GrantRefreshToken)
	}
	req := &tokenRequest{grant: grant, duration: DefaultDurationSeconds}
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
	if grant == GrantJWTBearer {
		return req, nil
	}
	if req.clientID == "" {
		return nil, invalidRequest("invalid request: client_id is required")
	}
	for _, name := range grantFields[grant] {
		raw := f[name]
		if !present(raw) {
			continue
		}
		if json.Unmarshal(raw, req.field(name)) != nil {
			return nil, invalidRequest("invalid request: " + name + " must be a string")
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

// lostAnswer is a ResponseWriter whose answer is never delivered.
type lostAnswer struct{ header http.Header }

func (l *lostAnswer) Header() http.Header         { return l.header }
func (l *lostAnswer) Write(b []byte) (int, error) { return len(b), nil }
func (l *lostAnswer) WriteHeader(int)             {}
