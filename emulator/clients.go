package emulator

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"net/http"
	"net/url"
	"slices"
)

// clientKind is the kind of a user-delegated OAuth app.
type clientKind string

const (
	kindWeb    clientKind = "web"
	kindPKCE   clientKind = "pkce"
	kindDevice clientKind = "device"
)

// client is a registered web, PKCE or device app.
type client struct {
	id           string
	kind         clientKind
	secretHash   [32]byte // SHA-256 of the client secret (web apps)
	redirectURIs []string
}

// AddWebApp registers a web app (authorization code with a client secret)
// that may redirect to exactly the given redirect URIs. It panics on an
// empty client id or secret, no redirect URI, or one that is not an
// absolute http(s) URL without a fragment. Registering a client id again
// replaces its earlier registration.
func (s *Server) AddWebApp(clientID, clientSecret string, redirectURIs ...string) {
	if clientSecret == "" {
		panic("emulator: AddWebApp with an empty client secret")
	}
	c := newClient("AddWebApp", clientID, kindWeb, redirectURIs, true)
	c.secretHash = sha256.Sum256([]byte(clientSecret))
	s.addClient(c)
}

// AddPKCEApp registers a PKCE app (authorization code with a code_verifier,
// no secret) that may redirect to exactly the given redirect URIs. It panics
// like AddWebApp.
func (s *Server) AddPKCEApp(clientID string, redirectURIs ...string) {
	s.addClient(newClient("AddPKCEApp", clientID, kindPKCE, redirectURIs, true))
}

// AddDeviceApp registers a device app (device code flow, no secret). It
// panics on an empty client id.
func (s *Server) AddDeviceApp(clientID string) {
	s.addClient(newClient("AddDeviceApp", clientID, kindDevice, nil, false))
}

func newClient(fn, clientID string, kind clientKind, uris []string, needURIs bool) *client {
	if clientID == "" {
		panic("emulator: " + fn + " with an empty client id")
	}
	if needURIs && len(uris) == 0 {
		panic("emulator: " + fn + " needs at least one redirect URI")
	}
	for _, u := range uris {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" || p.User != nil {
			panic(fmt.Sprintf("emulator: %s: redirect URI %q is not an absolute http(s) URL without a fragment", fn, u))
		}
	}
	return &client{id: clientID, kind: kind, redirectURIs: slices.Clone(uris)}
}

func (s *Server) addClient(c *client) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clients[c.id] = c
}

// lookupClient returns the user-delegated app clientID and whether a JWT
// app of that id exists.
func (s *Server) lookupClient(clientID string) (c *client, jwtApp bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clients[clientID], s.apps[clientID]
}

// errUnknownClient is the answer for a client id nobody registered.
func errUnknownClient() *oauthErr {
	return newOAuthErr(http.StatusUnauthorized, "invalid_client",
		"client_id is not registered: use the client ID (客户端 ID) of an OAuth app of this region")
}

// errAppType is Coze's answer for a flow the app's kind does not support.
func errAppType(flow string) *oauthErr {
	return newOAuthErr(http.StatusForbidden, "access_deny",
		"invalid app type: this app's client type does not support "+flow)
}

// clientFor finds the app clientID for a flow open to kinds, answering
// invalid_client for an unknown id and access_deny for another kind.
func (s *Server) clientFor(clientID, flow string, kinds ...clientKind) (*client, *oauthErr) {
	c, jwtApp := s.lookupClient(clientID)
	switch {
	case c == nil && jwtApp:
		return nil, errAppType(flow)
	case c == nil:
		return nil, errUnknownClient()
	case !slices.Contains(kinds, c.kind):
		return nil, errAppType(flow)
	}
	return c, nil
}

// authenticateClient checks a web app's "Authorization: Bearer
// <client_secret>"; apps of other kinds have no secret and pass.
func authenticateClient(r *http.Request, c *client) *oauthErr {
	if c.kind != kindWeb {
		return nil
	}
	secret, ok := bearer(r)
	if !ok {
		return newOAuthErr(http.StatusUnauthorized, "invalid_client",
			"missing client secret: a web app sends Authorization: Bearer <client_secret>")
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], c.secretHash[:]) != 1 {
		return newOAuthErr(http.StatusUnauthorized, "invalid_client",
			"invalid client secret: use the client secret (客户端密钥) of this app")
	}
	return nil
}

// ApproveAsk, ApproveAuto and ApproveDeny are the values of Options.Approve.
const (
	ApproveAsk  = "ask"
	ApproveAuto = "auto"
	ApproveDeny = "deny"
)

// ParseApprove checks an approval mode, answering it ("" means ApproveAsk).
func ParseApprove(mode string) (string, error) {
	switch mode {
	case "", ApproveAsk:
		return ApproveAsk, nil
	case ApproveAuto, ApproveDeny:
		return mode, nil
	}
	return "", fmt.Errorf("approval mode %q is not one of auto, ask, deny", mode)
}

// SetApprove changes how consent requests are answered from now on (see
// Options.Approve). It panics on an unknown mode.
func (s *Server) SetApprove(mode string) {
	m, err := ParseApprove(mode)
	if err != nil {
		panic("emulator: " + err.Error())
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.approve = m
}

// SetUser changes the emulated logged-in person (see Options.User) for
// consents from now on, as if another Coze account logged in. It panics on
// an empty id.
func (s *Server) SetUser(userID string) {
	if userID == "" {
		panic("emulator: SetUser with an empty user id")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.user = userID
}

// consentMode returns the approval mode and the logged-in user.
func (s *Server) consentMode() (mode, user string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.approve, s.user
}
