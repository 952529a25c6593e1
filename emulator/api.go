package emulator

import (
	"net/http"
	"strings"
)

// serveUsersMe answers GET /v1/users/me for a token issued by this Server
// (not expired by its clock) or a registered PAT.
func (s *Server) serveUsersMe(w http.ResponseWriter, r *http.Request) {
	if !allowMethod(w, r, http.MethodGet) {
		return
	}
	userID, ok := s.authAPI(w, r, false)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"code": 0,
		"msg":  "",
		"data": map[string]string{
			"user_id":    userID,
			"user_name":  "emulated user",
			"nick_name":  "Emulated " + userID,
			"avatar_url": "",
		},
	})
}

// allowMethod answers 405 with Coze's error shape unless r uses method.
func allowMethod(w http.ResponseWriter, r *http.Request, method string) bool {
	if r.Method == method {
		return true
	}
	w.Header().Set("Allow", method)
	writeAPIError(w, http.StatusMethodNotAllowed, 4000, "method not allowed: use "+method)
	return false
}

// writeAPIFailure answers an API error the Coze way: HTTP 200 and a
// non-zero code.
func writeAPIFailure(w http.ResponseWriter, code int, msg string) {
	writeAPIError(w, http.StatusOK, code, msg)
}

// authAPI authenticates an API request, records its credential (see
// LastAPIAuth) and counts it if it passes (see APICalls). On failure it
// answers 401 {"code":4100,...}. With query set, a request without an
// Authorization header may carry it as ?authorization=Bearer%20<x>, as
// browser WebSocket clients must.
func (s *Server) authAPI(w http.ResponseWriter, r *http.Request, query bool) (string, bool) {
	cred, present := bearer(r)
	if !present && query && r.Header.Get("Authorization") == "" {
		cred, present = parseBearer(r.URL.Query().Get("authorization"))
	}
	userID, ok := "", false
	if present {
		userID, ok = s.authenticate(cred)
	}
	s.mu.Lock()
	s.lastAuth = cred
	if ok {
		s.apiCalls++
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, http.StatusUnauthorized, 4100, "authentication is invalid")
	}
	return userID, ok
}

// authenticate maps a bearer credential to a user id:
// "<client_id>-<session_name>" for JWT access tokens, the consenting user
// for access tokens of user grants, the registered user for unexpired PATs.
func (s *Server) authenticate(cred string) (string, bool) {
	now := s.now()
	if tp, ok := s.checkToken(cred, now); ok {
		if tp.User != "" {
			return tp.User, true
		}
		return tp.ClientID + "-" + tp.Session, true
	}
	return s.checkPAT(cred, now)
}

// parseBearer extracts the credential of a "Bearer <x>" value.
func parseBearer(v string) (string, bool) {
	scheme, cred, ok := strings.Cut(v, " ")
	cred = strings.TrimSpace(cred)
	if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
		return "", false
	}
	return cred, true
}
