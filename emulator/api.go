package emulator

import (
	"net/http"
	"strings"
)

// serveUsersMe answers GET /v1/users/me for a token issued by this Server
// (not expired by its clock) or a registered PAT.
func (s *Server) serveUsersMe(w http.ResponseWriter, r *http.Request) {
	userID, ok := s.enter(w, r, http.MethodGet)
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
// answers 401 {"code":4100,...}. The token must also hold the permission
// the path needs (see permissionFor): otherwise it answers Coze's
// permission error, 403 {"code":4101,...}. With query set, a request
// without an Authorization header may carry it as
// ?authorization=Bearer%20<x>, as browser WebSocket clients must.
func (s *Server) authAPI(w http.ResponseWriter, r *http.Request, query bool) (string, bool) {
	cred, present := credentialOf(r, query)
	userID, a, ok := "", (*access)(nil), false
	if present {
		userID, a, ok = s.authenticate(cred)
	}
	s.mu.Lock()
	s.lastAuth = cred
	if ok {
		s.apiCalls++
	}
	s.mu.Unlock()
	if !ok {
		writeAPIError(w, http.StatusUnauthorized, CodeInvalidToken, "authentication is invalid")
		return "", false
	}
	if perm := permissionFor(r.Method, r.URL.Path); !a.allows(perm) {
		if perm == "" {
			writePermissionDenied(w, "permission denied: "+r.URL.Path+" needs a token with every permission; this token's are limited")
		} else {
			writePermissionDenied(w, "permission denied: this token lacks the permission "+perm+", which "+r.URL.Path+
				" needs; authorize the app for it, or (channel apps) ask for it in the token's scope")
		}
		return "", false
	}
	if st, _ := r.Context().Value(reqStateKey{}).(*reqState); st != nil {
		st.authed, st.access = true, a
	}
	return userID, true
}

// credentialOf is the bearer credential of r: its Authorization header,
// or with query set and no Authorization header, ?authorization=.
func credentialOf(r *http.Request, query bool) (string, bool) {
	cred, present := bearer(r)
	if !present && query && r.Header.Get("Authorization") == "" {
		cred, present = parseBearer(r.URL.Query().Get("authorization"))
	}
	return cred, present
}

// authenticate maps a bearer credential to a user id and what it may do:
// "<client_id>-<session_name>" for JWT access tokens, the consenting user
// for access tokens of user grants, the registered user for unexpired PATs
// (which may do everything).
func (s *Server) authenticate(cred string) (string, *access, bool) {
	now := s.now()
	if tp, ok := s.checkToken(cred, now); ok {
		if tp.User != "" {
			return tp.User, tp.Access, true
		}
		return tp.ClientID + "-" + tp.Session, tp.Access, true
	}
	user, ok := s.checkPAT(cred, now)
	return user, nil, ok
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

// enter admits an API request: the method first (405 with Allow
// otherwise), then the bearer credential (see authAPI). It answers the
// caller's identity, or false once it has answered the refusal.
func (s *Server) enter(w http.ResponseWriter, r *http.Request, method string) (string, bool) {
	if !allowMethod(w, r, method) {
		return "", false
	}
	return s.authAPI(w, r, false)
}
