package emulator

import (
	"net/http"
	"time"
)

// userGrant is what a user-delegated token answer is issued for.
type userGrant struct {
	grant     string // the grant_type redeemed
	clientID  string
	user      string // the consenting Coze user
	workspace string // "" outside a workspace variant
	family    *family
}

// family is the chain of refresh tokens descended from one consent; it is
// revoked as a whole when a spent member is presented again.
type family struct{ revoked bool }

// refreshRec is an issued refresh token.
type refreshRec struct {
	grant       userGrant
	expires     time.Time
	spent       bool // redeemed once; presenting it again is a replay
	redemptions int  // times presented at the refresh grant
}

func (r *refreshRec) lapsed(now time.Time) bool { return !now.Before(r.expires) }

// issueUserTokens mints an access token and a fresh refresh token for g and
// answers them. A grant without a family starts one.
func (s *Server) issueUserTokens(w http.ResponseWriter, g userGrant, duration int64) {
	if g.family == nil {
		g.family = &family{}
	}
	now := s.now()
	exp := now.Unix() + duration
	access := s.issueUserToken(g.clientID, g.user, exp)
	rt := newSecret()
	s.mu.Lock()
	ok := s.refreshes.put(rt, &refreshRec{grant: g, expires: now.Add(s.refreshTTL)}, now)
	if ok {
		s.mints++
		s.byGrant[g.grant]++
		s.recordGrant(Grant{GrantType: g.grant, ClientID: g.clientID, User: g.user,
			WorkspaceID: g.workspace, Duration: duration})
	}
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, newOAuthErr(http.StatusServiceUnavailable, "internal_error",
			"emulator: too many refresh tokens outstanding; try again later"))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token":  access,
		"expires_in":    exp,
		"token_type":    "Bearer",
		"refresh_token": rt,
	})
}

// grantRefresh redeems a refresh token (with the client secret for web
// apps) for a new access token and a new refresh token. Every refresh token
// is single-use: presenting a spent one answers invalid_grant and revokes
// every refresh token of its grant, as a stolen-token defence would.
func (s *Server) grantRefresh(w http.ResponseWriter, r *http.Request, req *tokenRequest) *oauthErr {
	c, e := s.clientFor(req.clientID, "the refresh_token grant", kindWeb, kindPKCE, kindDevice)
	if e != nil {
		return e
	}
	if e := authenticateClient(r, c); e != nil {
		return e
	}
	if req.refreshToken == "" {
		return invalidRequest("invalid request: refresh_token is required")
	}
	now := s.now()
	s.mu.Lock()
	rec, ok := s.refreshes.get(req.refreshToken)
	if ok {
		rec.redemptions++
		if rec.redemptions == 2 {
			s.doubles++
		}
	}
	var e2 *oauthErr
	switch {
	case !ok || rec.grant.clientID != c.id:
		e2 = invalidGrant("refresh token is invalid: it was not issued to this client_id")
	case rec.spent:
		rec.grant.family.revoked = true
		e2 = invalidGrant("refresh token has already been used: the grant is revoked, log in again")
	case rec.grant.family.revoked:
		e2 = invalidGrant("refresh token has been revoked: log in again")
	case rec.lapsed(now):
		e2 = invalidGrant("refresh token has expired: log in again")
	default:
		rec.spent = true
	}
	s.mu.Unlock()
	if e2 != nil {
		return e2
	}
	g := rec.grant
	g.grant = GrantRefreshToken
	s.issueUserTokens(w, g, req.duration)
	return nil
}

// IssueRefreshToken creates a grant as if userID had consented to the app
// clientID (a web, PKCE or device app) and returns its refresh token,
// without any HTTP exchange: for tests and benchmarks that need many grants.
// It panics on an unknown client id or a full refresh-token table.
func (s *Server) IssueRefreshToken(clientID, userID string) string {
	c, _ := s.lookupClient(clientID)
	if c == nil || userID == "" {
		panic("emulator: IssueRefreshToken needs a registered web, PKCE or device app and a user id")
	}
	rt := newSecret()
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	g := userGrant{grant: GrantAuthorizationCode, clientID: clientID, user: userID, family: &family{}}
	if !s.refreshes.put(rt, &refreshRec{grant: g, expires: now.Add(s.refreshTTL)}, now) {
		panic("emulator: IssueRefreshToken: too many refresh tokens outstanding")
	}
	return rt
}

// RevokeGrants revokes every refresh token of the app clientID for userID,
// as a person removing the app's authorization in Coze's console would,
// and reports how many live ones it revoked. Their next refresh answers
// invalid_grant.
func (s *Server) RevokeGrants(clientID, userID string) int {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, rec := range s.refreshes.m {
		g := rec.grant
		if g.clientID == clientID && g.user == userID && !rec.spent && !g.family.revoked && !rec.lapsed(now) {
			g.family.revoked = true
			n++
		}
	}
	return n
}

// RefreshRedemptions reports how many times the refresh token rt was
// presented to the refresh_token grant, successfully or not (0 for a token
// never issued, or forgotten after it expired). A client that never redeems
// a refresh token twice sees at most 1 for every token.
func (s *Server) RefreshRedemptions(rt string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if rec, ok := s.refreshes.get(rt); ok {
		return rec.redemptions
	}
	return 0
}

// DoubleRedemptions reports how many refresh tokens were presented to the
// refresh_token grant more than once. It is 0 as long as no client ever
// reused a refresh token.
func (s *Server) DoubleRedemptions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.doubles
}
