package emulator

import "net/http"

// serveUsersMe answers GET /v1/users/me for a token issued by this Server
// (not expired by its clock) or a registered PAT.
func (s *Server) serveUsersMe(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeAPIError(w, http.StatusMethodNotAllowed, 4000, "method not allowed: use GET")
		return
	}
	userID, ok := s.authenticate(r)
	if !ok {
		writeAPIError(w, http.StatusUnauthorized, 4100, "authentication is invalid")
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

// authenticate maps the request's bearer credential to a user id:
// "<client_id>-<session_name>" for access tokens.
func (s *Server) authenticate(r *http.Request) (string, bool) {
	cred, ok := bearer(r)
	if !ok {
		return "", false
	}
	if tp, ok := s.checkToken(cred, s.now()); ok {
		return tp.ClientID + "-" + tp.Session, true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	user, ok := s.pats[cred]
	return user, ok
}
