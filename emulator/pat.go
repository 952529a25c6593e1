package emulator

import "time"

// pat is a registered personal access token.
type pat struct {
	user    string
	expires time.Time // zero: never
}

// AddPAT registers a personal (or service) access token that never expires,
// accepted by the API endpoints as the user userID.
func (s *Server) AddPAT(token, userID string) {
	s.AddPATUntil(token, userID, time.Time{})
}

// AddPATUntil registers a personal access token accepted by the API
// endpoints as the user userID until expires (by the emulator's clock; the
// zero time means never). From then on the API answers 401 with code 4100,
// as Coze does for an expired token. Registering a token again replaces it.
func (s *Server) AddPATUntil(token, userID string, expires time.Time) {
	if token == "" {
		panic("emulator: AddPAT with empty token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.pats[token] = pat{user: userID, expires: expires}
}

// checkPAT returns the user of a registered PAT unexpired at now.
func (s *Server) checkPAT(token string, now time.Time) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.pats[token]
	if !ok || (!p.expires.IsZero() && !now.Before(p.expires)) {
		return "", false
	}
	return p.user, true
}
