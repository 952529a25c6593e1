package emulator

import "crypto/rsa"

// appKey is a registered public key and the app it belongs to.
type appKey struct {
	clientID string
	pub      *rsa.PublicKey
}

// AddApp registers a JWT app. Coze app ids are numeric strings; the emulator
// does not insist, but clientID must not be empty.
func (s *Server) AddApp(clientID string) {
	if clientID == "" {
		panic("emulator: AddApp with empty client id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[clientID] = true
}

// AddKey registers the public key id kid (Coze's 公钥指纹) for the app
// clientID, registering the app too if needed. Key ids are global, as on
// Coze: adding a kid again replaces its earlier registration.
func (s *Server) AddKey(clientID, kid string, pub *rsa.PublicKey) {
	if clientID == "" || kid == "" || pub == nil {
		panic("emulator: AddKey needs a client id, a kid and a public key")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.apps[clientID] = true
	s.keys[kid] = appKey{clientID: clientID, pub: pub}
}

// lookupKey returns the key registered under kid.
func (s *Server) lookupKey(kid string) (appKey, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[kid]
	return k, ok
}
