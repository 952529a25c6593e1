package emulator

import (
	"crypto/rsa"
	"slices"
)

// appKey is a registered public key and the app it belongs to.
type appKey struct {
	clientID string
	pub      *rsa.PublicKey
}

// AppOptions is what the Coze console would record about an app beyond its
// credentials.
type AppOptions struct {
	// Channel makes a JWT app a channel app (渠道): the scope of its token
	// requests narrows its tokens (permissions, bot_id_list, workspaces,
	// workflows). A developer's own app (the default) ignores the scope:
	// its tokens carry every permission in Permissions, as on Coze.
	Channel bool
	// Permissions are the permissions the app was authorized for (see
	// AllPermissions); nil means every permission. An empty, non-nil list
	// authorizes nothing.
	Permissions []string
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

// SetAppOptions records o for the app clientID, of any kind (JWT, web,
// PKCE, device), registered already or later; tokens minted from then on
// carry its permissions. It panics on an empty client id.
func (s *Server) SetAppOptions(clientID string, o AppOptions) {
	if clientID == "" {
		panic("emulator: SetAppOptions with empty client id")
	}
	if o.Permissions != nil {
		o.Permissions = slices.Clone(o.Permissions)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.appOpts[clientID] = o
}

// appOptions returns what SetAppOptions recorded for clientID (the zero
// value: a developer app with every permission).
func (s *Server) appOptions(clientID string) AppOptions {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.appOpts[clientID]
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
