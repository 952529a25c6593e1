package server

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
)

// codeExchangeTimeout bounds the code exchange with Coze.
const codeExchangeTimeout = 30 * time.Second

// maxCallbackParam bounds each query parameter the callback reads.
const maxCallbackParam = 2048

// handleLoginCallback answers GET /oauth/callback, where Coze sends the
// browser back with ?code=..&state=.. (or ?error=..&state=..). The state
// must be one this server issued, unexpired, unspent, and bound to this
// very browser (its login cookie): a login started in one browser and
// finished in another is refused, so nobody can attach their Coze account
// to someone else's subject, nor someone's account to theirs. Then the
// code is exchanged (with the client secret, or the PKCE verifier), the
// grant is stored, and the browser goes to return_to (303) or sees a
// page saying who is connected. Every refusal is a small page with a 4xx
// status, and stores nothing.
func (s *Server) handleLoginCallback(w http.ResponseWriter, r *http.Request) {
	if d := s.checkHost(r, s.access.Load()); d != nil {
		s.deny(w, r, nil, d)
		return
	}
	q := r.URL.Query()
	for k, vs := range q {
		if len(vs) > 1 || len(vs[0]) > maxCallbackParam {
			loginPage(w, http.StatusBadRequest, "This login answer is not valid", "The parameter "+safeParam(k)+" is repeated or too long. Ask the application for a new connect link.")
			return
		}
	}
	state := q.Get("state")
	if state == "" {
		loginPage(w, http.StatusBadRequest, "This login answer is not valid", "It carries no state, so it cannot be tied to a login started here. Ask the application for a new connect link.")
		return
	}
	st, problem, ok := s.logins.takeState(r.Context(), state, func(st *loginState) bool { return sameNonce(r, state, st) })
	switch {
	case problem == loginUnavailable:
		storeUnavailablePage(w)
		return
	case problem == loginUnknown:
		loginPage(w, http.StatusBadRequest, "This login answer is not valid", "This server started no such login (or has restarted since). Ask the application for a new connect link.")
		return
	case problem == loginUsed:
		loginPage(w, http.StatusConflict, "This login was already completed", "A login answer is used once. If the account is not connected, ask the application for a new connect link.")
		return
	case problem == loginExpired:
		loginPage(w, http.StatusBadRequest, "This login has expired", "A login must be finished within 10 minutes. Ask the application for a new connect link.")
		return
	case !ok:
		s.auditLogin(r, st.link.req.App, st.link.req.Session, "refused_other_browser", "")
		loginPage(w, http.StatusForbidden, "This login was started in another browser", "For your safety a login must be finished in the browser that opened the connect link. Open the connect link in this browser, or ask the application for a new one.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookieName(state), Value: "", Path: LoginCallbackPath, MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	app, subject := st.link.req.App, st.link.req.Session
	if e := q.Get("error"); e != "" {
		if e == "access_denied" {
			s.auditLogin(r, app, subject, "denied", "")
			loginPage(w, http.StatusForbidden, "Not connected", "The Coze account was not connected: access was declined on Coze's page. Ask the application for a new connect link to try again.")
			return
		}
		s.auditLogin(r, app, subject, "coze_error", "")
		loginPage(w, http.StatusBadGateway, "Not connected", "Coze answered the login with the error "+safeParam(e)+". Ask the application for a new connect link; if it happens again, tell the server's operator.")
		return
	}
	code := q.Get("code")
	if code == "" {
		s.auditLogin(r, app, subject, "no_code", "")
		loginPage(w, http.StatusBadRequest, "Not connected", "Coze's answer carries no code. Ask the application for a new connect link.")
		return
	}
	a, _ := s.conf().App(app)
	if _, msg := loginRedirect(a); msg != "" {
		s.auditLogin(r, app, subject, "unknown_app", "")
		loginPage(w, http.StatusNotFound, "Not connected", "The app "+app+" is no longer configured for browser logins on this server.")
		return
	}
	tok, err := s.exchangeCode(r.Context(), a, st, code)
	if err != nil {
		if coze.IsDeadGrant(err) {
			s.auditLogin(r, app, subject, "bad_code", "")
			loginPage(w, http.StatusBadRequest, "Not connected", "Coze refused the login code (wrong, used or expired). Ask the application for a new connect link.")
			return
		}
		s.log.Warn("login: code exchange failed", "app", app, "err", err)
		s.auditLogin(r, app, subject, "exchange_failed", "")
		loginPage(w, http.StatusBadGateway, "Not connected", "Coze could not be reached to finish the login, or answered in a way this server does not understand. Ask the application for a new connect link.")
		return
	}
	if tok.RefreshToken == "" {
		s.auditLogin(r, app, subject, "no_refresh_token", "")
		loginPage(w, http.StatusBadGateway, "Not connected", "Coze finished the login but sent no refresh token, so the account could not be kept connected. Tell the server's operator.")
		return
	}
	now := time.Now().UTC()
	g := &grant.Grant{App: app, Subject: subject, RefreshToken: tok.RefreshToken, State: grant.Active, CreatedAt: now, RefreshedAt: now,
		User: s.accountOf(r.Context(), a, tok.AccessToken)}
	if err := s.grants.Put(context.WithoutCancel(r.Context()), g); err != nil {
		s.log.Error("login: storing the grant", "app", app, "err", err)
		s.auditLogin(r, app, subject, "store_failed", "")
		loginPage(w, http.StatusInternalServerError, "Not connected", "The server could not save the connection. Try again with a new connect link; if it happens again, tell the server's operator.")
		return
	}
	// The broker may hold this subject's "needs login" (its negative
	// cache) or a token of the login this one replaces, under any scope,
	// duration or owner: drop them all, so the next call redeems the new
	// grant.
	s.broker.DropSession(app, subject)
	s.auditLogin(r, app, subject, "connected", "")
	if st.link.returnTo != "" {
		http.Redirect(w, r, withConnected(st.link.returnTo, app), http.StatusSeeOther)
		return
	}
	loginPage(w, http.StatusOK, "Coze account connected",
		"You can close this window. The application can now act on Coze with this account's permissions, for as long as the connection is used; it ends when the account's access is revoked in Coze or in cozeauth.",
		pageFact{"Coze account", cmp.Or(g.User, "(Coze did not say)")}, pageFact{"App", app}, pageFact{"Connected for", subject}, pageFact{"Connected at", now.Format(time.RFC1123)},
		pageFact{"First access valid until", tok.ExpiresAt.UTC().Format(time.RFC1123)})
}

// accountOf names the Coze account a new grant's first access token acts
// for, to show and keep beside the grant; "" when Coze does not say (the
// login stands either way).
func (s *Server) accountOf(ctx context.Context, a *config.App, accessToken string) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	acct, err := s.cozeClient.Me(ctx, a.APIBase, accessToken)
	if err != nil {
		s.log.Warn("login: could not ask Coze which account connected", "app", a.Name, "err", err)
		return ""
	}
	return acct.String()
}

// exchangeCode redeems the login's code: a web app with its client secret,
// a PKCE app with the login's verifier.
func (s *Server) exchangeCode(ctx context.Context, a *config.App, st loginState, code string) (*coze.Token, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), codeExchangeTimeout)
	defer cancel()
	cr := coze.CodeRequest{TokenURL: a.TokenURL(), ClientID: a.ClientID, Code: code, RedirectURI: st.redirectURI, CodeVerifier: st.verifier}
	if a.Kind == config.KindWeb {
		cr.ClientSecret, cr.CodeVerifier = a.Web.ClientSecret.Reveal(), ""
	}
	return s.cozeClient.CodeToken(ctx, cr)
}

// withConnected adds cozeauth=connected and app to return_to's query.
func withConnected(returnTo, app string) string {
	u, err := url.Parse(returnTo)
	if err != nil {
		return returnTo
	}
	q := u.Query()
	q.Set("cozeauth", "connected")
	q.Set("app", app)
	u.RawQuery = q.Encode()
	return u.String()
}

// safeParam quotes a parameter for a page: printable ASCII, at most 64.
func safeParam(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '?'
		}
		return r
	}, s)
	if len(s) > 64 {
		s = s[:64] + "..."
	}
	return `"` + s + `"`
}
