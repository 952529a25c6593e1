package emulator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// accessPrefix starts every access token, as on Coze.
const accessPrefix = "czs_"

// tokenPayload is what an access token carries; the emulator keeps no table
// of issued tokens, it checks their HMAC instead.
type tokenPayload struct {
	ClientID string  `json:"cid"`
	Session  string  `json:"sn,omitempty"`
	User     string  `json:"u,omitempty"` // the consenting user, for user grants
	Exp      int64   `json:"exp"`
	Nonce    string  `json:"n"`
	Access   *access `json:"a,omitempty"` // what it may do; nil: everything
}

// issueToken returns "czs_" + base64url(payload) + "." + base64url(HMAC-SHA256)
// for a JWT mint allowed a.
func (s *Server) issueToken(clientID, session string, exp int64, a *access) string {
	return s.sealToken(tokenPayload{ClientID: clientID, Session: session, Exp: exp, Access: a.orNil()})
}

// issueUserToken returns an access token of a user grant, naming user and
// carrying the app's permissions.
func (s *Server) issueUserToken(clientID, user string, exp int64) string {
	a, _ := s.tokenAccess(clientID, nil) // no scope: never fails
	return s.sealToken(tokenPayload{ClientID: clientID, User: user, Exp: exp, Access: a.orNil()})
}

// orNil is a, or nil when a limits nothing (keeping such tokens short).
func (a *access) orNil() *access {
	if a == nil || (a.Perms == nil && a.Bots == nil && a.Workspaces == nil && a.Workflows == nil) {
		return nil
	}
	return a
}

func (s *Server) sealToken(tp tokenPayload) string {
	var n [8]byte
	_, _ = rand.Read(n[:])
	tp.Nonce = hex.EncodeToString(n[:])
	b, _ := json.Marshal(tp)
	p := base64.RawURLEncoding.EncodeToString(b)
	return accessPrefix + p + "." + base64.RawURLEncoding.EncodeToString(s.tokenMAC(p))
}

func (s *Server) tokenMAC(p string) []byte {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write([]byte(p))
	return m.Sum(nil)
}

// checkToken returns the payload of an access token issued by this Server
// that has not expired at now.
func (s *Server) checkToken(tok string, now time.Time) (*tokenPayload, bool) {
	rest, ok := strings.CutPrefix(tok, accessPrefix)
	if !ok {
		return nil, false
	}
	p, sig, ok := strings.Cut(rest, ".")
	if !ok {
		return nil, false
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(mac, s.tokenMAC(p)) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil {
		return nil, false
	}
	var tp tokenPayload
	if json.Unmarshal(b, &tp) != nil || now.Unix() >= tp.Exp {
		return nil, false
	}
	return &tp, true
}
