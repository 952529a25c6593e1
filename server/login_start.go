package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
)

// loginCookiePrefix names the cookie that binds a login to the browser
// that opened its connect link. Each login has its own cookie (named
// after its state), so two logins in one browser do not overwrite each
// other's. Its path is LoginCallbackPath, the only place it is read.
const loginCookiePrefix = "cozeauth_login_"

func loginCookieName(state string) string {
	sum := sha256.Sum256([]byte(state))
	return loginCookiePrefix + hex.EncodeToString(sum[:8])
}

// handleLoginStart answers GET /login/start?t=<link>: it spends the
// connect link, binds a fresh login state to this browser with a random
// HttpOnly cookie, and redirects (302) to Coze's consent page with that
// state (and, for a PKCE app, the S256 challenge of a fresh verifier).
func (s *Server) handleLoginStart(w http.ResponseWriter, r *http.Request) {
	if d := s.checkHost(r, s.access.Load()); d != nil {
		s.deny(w, r, nil, d)
		return
	}
	q := r.URL.Query()
	id := q.Get("t")
	if id == "" || len(q) != 1 || len(q["t"]) != 1 || len(id) > 64 {
		loginPage(w, http.StatusBadRequest, "This connect link is not valid", "The address is incomplete or was changed. Ask the application for a new connect link.")
		return
	}
	link, problem := s.logins.takeLink(r.Context(), id)
	switch problem {
	case loginUnavailable:
		storeUnavailablePage(w)
		return
	case loginUnknown:
		loginPage(w, http.StatusNotFound, "This connect link is not valid", "This server made no such link (or has restarted since). Ask the application for a new connect link.")
		return
	case loginUsed:
		loginPage(w, http.StatusGone, "This connect link was already used", "A connect link works once. Ask the application for a new connect link.")
		return
	case loginExpired:
		loginPage(w, http.StatusGone, "This connect link has expired", "A connect link works for 10 minutes. Ask the application for a new connect link.")
		return
	}
	app, _ := s.conf().App(link.req.App)
	redirect, msg := loginRedirect(app)
	if msg != "" {
		loginPage(w, http.StatusNotFound, "This app can no longer be connected", "The server's configuration changed since the link was made ("+msg+").")
		return
	}
	st := loginState{link: link, nonce: randomID(), redirectURI: redirect.String()}
	ar := coze.AuthorizeRequest{WWWBase: app.WWWBase, ClientID: app.ClientID, RedirectURI: st.redirectURI, WorkspaceID: app.WorkspaceID()}
	if app.Kind == config.KindPKCE {
		v, err := coze.NewVerifier()
		if err != nil {
			loginPage(w, http.StatusInternalServerError, "Could not start the login", "The server could not draw a random verifier. Try again.")
			return
		}
		st.verifier = v
		ar.CodeChallenge, ar.ChallengeMethod = coze.S256Challenge(v), coze.ChallengeS256
	}
	state, problem := s.logins.addState(r.Context(), st)
	switch problem {
	case loginFull:
		w.Header().Set("Retry-After", "60")
		loginPage(w, http.StatusServiceUnavailable, "Too many logins under way", "Try again in a minute with a new connect link.")
		return
	case loginUnavailable:
		storeUnavailablePage(w)
		return
	}
	ar.State = state
	target, err := coze.AuthorizeURL(ar)
	if err != nil {
		s.log.Error("login: building the authorize URL", "app", app.Name, "err", err)
		loginPage(w, http.StatusInternalServerError, "Could not start the login", "The app's configuration is incomplete; the server log says what to fix.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookieName(state), Value: st.nonce, Path: LoginCallbackPath,
		MaxAge: int(LoginStateTTL.Seconds()), HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: strings.HasPrefix(st.redirectURI, "https:")})
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, target, http.StatusFound)
}

// storeUnavailablePage answers a login step the shared store could not
// record or look up.
func storeUnavailablePage(w http.ResponseWriter) {
	w.Header().Set("Retry-After", "5")
	loginPage(w, http.StatusServiceUnavailable, "The login cannot go on right now", "The server could not reach the store it shares with its other replicas. Reload this page in a few seconds.")
}

// sameNonce reports, in constant time, whether the browser's cookie
// carries the state's nonce.
func sameNonce(r *http.Request, state string, st *loginState) bool {
	ck, err := r.Cookie(loginCookieName(state))
	if err != nil || len(ck.Value) != len(st.nonce) {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(ck.Value), []byte(st.nonce)) == 1
}
