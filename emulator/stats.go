package emulator

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
)

// mintKey identifies an app and session_name for the mint counters.
type mintKey struct {
	clientID string
	session  string
}

// Mints reports the total number of successful token mints, of every
// grant type.
func (s *Server) Mints() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mints
}

// MintsByGrant reports the successful mints of one grant_type
// (GrantJWTBearer, GrantAuthorizationCode, GrantDeviceCode or
// GrantRefreshToken).
func (s *Server) MintsByGrant(grantType string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.byGrant[grantType]
}

// MintsFor reports successful JWT mints for the app clientID and
// session_name session ("" counts assertions without a session_name).
func (s *Server) MintsFor(clientID, session string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mintsBy[mintKey{clientID, session}]
}

// Requests reports the total number of token-endpoint requests, including
// failed, faulted and wrong-method ones.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// APICalls reports the number of API requests (users/me, chat, upload,
// WebSocket) whose bearer credential passed authentication.
func (s *Server) APICalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.apiCalls
}

// LastAPIAuth returns the bearer credential (without "Bearer ") the last API
// request carried, valid or not, or "" if it carried none. A test of a proxy
// uses it to check which token was injected.
func (s *Server) LastAPIAuth() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastAuth
}

// LastClaims returns a fresh copy of the claims of the last assertion that
// passed verification, or nil if none has. Numbers are float64.
func (s *Server) LastClaims() map[string]any {
	s.mu.Lock()
	raw := s.lastClaims
	s.mu.Unlock()
	return decodeObject(raw)
}

// LastBody returns a fresh copy of the JSON body of the last token request
// whose body was read, or nil if that body was not a JSON object.
func (s *Server) LastBody() map[string]any {
	s.mu.Lock()
	raw := s.lastBody
	s.mu.Unlock()
	return decodeObject(raw)
}

// LastScope returns the scope object of the last token request body, or nil.
func (s *Server) LastScope() map[string]any {
	scope, _ := s.LastBody()["scope"].(map[string]any)
	return scope
}

// LastTokenPath returns the URL path of the last token-endpoint request
// (showing which account or enterprise variant was used), or "".
func (s *Server) LastTokenPath() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lastPath
}

func (s *Server) setLastBody(b []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastBody = b
}

func decodeObject(raw []byte) map[string]any {
	if raw == nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	return m
}

// serveStats answers GET /_emulator/stats with
// {"mints":N,"requests":N,"api_calls":N,"double_redemptions":N,
// "mints_by_grant":{grant_type:N}}.
func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeAPIError(w, http.StatusMethodNotAllowed, 4000, "method not allowed: use GET")
		return
	}
	s.mu.Lock()
	m, n, a, d := s.mints, s.requests, s.apiCalls, s.doubles
	by := maps.Clone(s.byGrant)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"mints": m, "requests": n, "api_calls": a,
		"double_redemptions": d, "mints_by_grant": by})
}

// maxGrants bounds the grants an emulator remembers.
const maxGrants = 10_000

// Grant is what one successful mint was asked for: the grant type, the app,
// for JWT the assertion's kid and session_name and the body's scope exactly
// as received, for user grants the consenting user and workspace.
type Grant struct {
	GrantType   string // GrantJWTBearer, GrantAuthorizationCode, GrantDeviceCode or GrantRefreshToken
	ClientID    string
	KeyID       string          // the assertion's kid (JWT)
	Session     string          // the assertion's session_name (JWT); "" when absent
	Scope       json.RawMessage // the body's scope object (JWT); nil when absent
	Duration    int64           // duration_seconds granted
	User        string          // the Coze user who consented (user grants)
	WorkspaceID string          // the workspace of a workspace-variant consent; "" otherwise
}

// ScopeObject decodes g.Scope, or returns nil when the grant had none.
func (g Grant) ScopeObject() map[string]any { return decodeObject(g.Scope) }

// Grants returns a copy of the grants of every successful mint, oldest
// first (at most the last 10 000).
func (s *Server) Grants() []Grant {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Grant, len(s.grants))
	for i, g := range s.grants {
		g.Scope = append(json.RawMessage(nil), g.Scope...)
		if len(g.Scope) == 0 {
			g.Scope = nil
		}
		out[i] = g
	}
	return out
}

// LastGrant returns the grant of the last successful mint, or false when
// none has succeeded.
func (s *Server) LastGrant() (Grant, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.grants) == 0 {
		return Grant{}, false
	}
	g := s.grants[len(s.grants)-1]
	if len(g.Scope) > 0 {
		g.Scope = append(json.RawMessage(nil), g.Scope...)
	}
	return g, true
}

// recordGrant appends g; s.mu is held.
func (s *Server) recordGrant(g Grant) {
	if len(s.grants) >= maxGrants {
		s.grants = slices.Delete(s.grants, 0, len(s.grants)-maxGrants+1)
	}
	s.grants = append(s.grants, g)
}
