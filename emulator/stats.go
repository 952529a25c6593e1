package emulator

import (
	"encoding/json"
	"net/http"
)

// mintKey identifies an app and session_name for the mint counters.
type mintKey struct {
	clientID string
	session  string
}

// Mints reports the total number of successful token mints.
func (s *Server) Mints() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mints
}

// MintsFor reports successful mints for the app clientID and session_name
// session ("" counts assertions without a session_name).
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
// {"mints":N,"requests":N,"api_calls":N}.
func (s *Server) serveStats(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeAPIError(w, http.StatusMethodNotAllowed, 4000, "method not allowed: use GET")
		return
	}
	s.mu.Lock()
	m, n, a := s.mints, s.requests, s.apiCalls
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]int{"mints": m, "requests": n, "api_calls": a})
}
