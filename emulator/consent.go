package emulator

import (
	"crypto/subtle"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"time"
)

// ConsentPath is where the consent page's form posts the person's answer.
const ConsentPath = "/api/permission/oauth2/consent"

// consentCookiePrefix starts the name of the cookie binding a consent page
// to the browser it was shown to.
const consentCookiePrefix = "coze_emulator_consent_"

// maxConsentForm bounds the consent form's body.
const maxConsentForm = 4 << 10

// consent is a consent page shown and not yet answered: for an authorize
// request (auth) or a device code (device).
type consent struct {
	auth      *authRequest
	device    *deviceAuth
	clientID  string
	workspace string
	userCode  string
	user      string // the logged-in person it was shown to
	browser   string // the value of its cookie
	csrf      string // the form token
	expires   time.Time
}

func (c *consent) lapsed(now time.Time) bool { return !now.Before(c.expires) }

// askConsent shows a consent page for c. The page's form carries the
// consent id and a form token; the answer is taken only from the browser
// holding the consent's cookie (SameSite=Strict, HttpOnly), with that token.
func (s *Server) askConsent(w http.ResponseWriter, r *http.Request, c *consent) {
	id := newSecret()
	now := s.now()
	_, c.user = s.consentMode()
	c.browser, c.csrf, c.expires = newSecret(), newSecret(), now.Add(s.codeTTL)
	s.mu.Lock()
	ok := s.consents.put(id, c, now)
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, newOAuthErr(http.StatusServiceUnavailable, "internal_error",
			"emulator: too many consent pages outstanding; try again later"))
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: consentCookiePrefix + id[:16], Value: c.browser, Path: ConsentPath,
		MaxAge: int(s.codeTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode,
	})
	data := consentData{App: c.clientID, User: c.user, Workspace: c.workspace, UserCode: c.userCode,
		Action: ConsentPath, ID: id, CSRF: c.csrf}
	if c.auth != nil {
		if u, err := url.Parse(c.auth.redirectURI); err == nil {
			data.Redirect = u.Scheme + "://" + u.Host
		}
	}
	writePage(w, http.StatusOK, pageConsent, data)
}

// serveConsent takes the answer of a consent page: POST consent_id,
// csrf_token and decision=approve|deny from the browser the page was shown
// to. An approved authorize request redirects (303) with a code, a denied
// one with error=access_denied; a device code's answer shows a result page.
// Every consent is answered at most once.
func (s *Server) serveConsent(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, newOAuthErr(http.StatusMethodNotAllowed, "invalid_request", "method not allowed: use POST"))
		return
	}
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		writeOAuthError(w, newOAuthErr(http.StatusForbidden, "access_denied",
			"the consent form must be posted from the consent page itself"))
		return
	}
	form, e := readForm(w, r)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	id, decision := form.Get("consent_id"), form.Get("decision")
	if decision != "approve" && decision != "deny" {
		writeOAuthError(w, invalidRequest("invalid request: decision must be approve or deny"))
		return
	}
	cookie := ""
	if len(id) >= 16 {
		if ck, err := r.Cookie(consentCookiePrefix + id[:16]); err == nil {
			cookie = ck.Value
		}
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.consents.get(id)
	ok = ok && !c.lapsed(now) &&
		subtle.ConstantTimeCompare([]byte(cookie), []byte(c.browser)) == 1 &&
		subtle.ConstantTimeCompare([]byte(form.Get("csrf_token")), []byte(c.csrf)) == 1
	if ok {
		s.consents.del(id) // answered once
	}
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, newOAuthErr(http.StatusForbidden, "access_denied",
			"the consent request is unknown, expired, already answered or was shown to another browser: start again from the app"))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: consentCookiePrefix + id[:16], Value: "", Path: ConsentPath, MaxAge: -1})
	approve := decision == "approve"
	switch {
	case c.device != nil:
		s.answerDevice(w, c.device, approve, c.user)
	case approve:
		s.approveCode(w, *c.auth, c.user, http.StatusSeeOther)
	default:
		redirectResult(w, *c.auth, http.StatusSeeOther, deniedValues())
	}
}

// readForm reads a bounded application/x-www-form-urlencoded body.
func readForm(w http.ResponseWriter, r *http.Request) (url.Values, *oauthErr) {
	if r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
		return nil, invalidRequest("Content-Type must be application/x-www-form-urlencoded")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxConsentForm))
	if err != nil {
		return nil, newOAuthErr(http.StatusRequestEntityTooLarge, "invalid_request", "the consent form is too large")
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, invalidRequest("invalid request: the consent form is malformed")
	}
	return form, nil
}

// consentData fills the consent page.
type consentData struct {
	App, User, Workspace, UserCode, Redirect string
	Action, ID, CSRF                         string
}

// doneData fills the device result page.
type doneData struct{ Approved bool }

// pageStyle is the pages' shared look.
const pageStyle = `<style>
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f5f6fa;color:#1c1f23;margin:0}
main{max-width:30rem;margin:4rem auto;background:#fff;border:1px solid #e3e5ea;border-radius:12px;padding:2rem}
h1{font-size:1.3rem;margin:0 0 1rem}.muted{color:#6b7280;font-size:.9rem}
button{font:inherit;padding:.55rem 1.4rem;border-radius:8px;border:1px solid #c9ccd3;background:#fff;cursor:pointer;margin-right:.5rem}
#approve,#submit{background:#4d53e8;border-color:#4d53e8;color:#fff}
input{font:inherit;padding:.5rem;border:1px solid #c9ccd3;border-radius:8px;letter-spacing:.1em}
code{background:#f0f1f5;padding:.1rem .35rem;border-radius:4px}</style>`

var (
	pageConsent = template.Must(template.New("consent").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Authorize {{.App}} · Coze emulator</title>` + pageStyle + `</head><body><main>
<h1>Authorize app {{.App}}</h1>
<p>The app <code id="app">{{.App}}</code> asks to call the Coze API as <b id="user">{{.User}}</b>{{if .Workspace}} in workspace <code id="workspace">{{.Workspace}}</code>{{end}}.</p>
{{if .UserCode}}<p>Device code <code id="user_code">{{.UserCode}}</code>: check it matches the one on your device.</p>{{end}}
{{if .Redirect}}<p class="muted">After your answer you return to {{.Redirect}}.</p>{{end}}
<form method="post" action="{{.Action}}">
<input type="hidden" name="consent_id" value="{{.ID}}">
<input type="hidden" name="csrf_token" value="{{.CSRF}}">
<button id="approve" type="submit" name="decision" value="approve">Approve</button>
<button id="deny" type="submit" name="decision" value="deny">Deny</button>
</form>
<p class="muted">This is the offline Coze emulator; no real account is involved.</p>
</main></body></html>`))

	pageUserCode = template.Must(template.New("usercode").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Connect a device · Coze emulator</title>` + pageStyle + `</head><body><main>
<h1>Connect a device</h1>
<form method="get">
<p><label for="user_code">Enter the code shown on your device</label></p>
<p><input id="user_code" name="user_code" autocomplete="off" placeholder="XXXX-XXXX" maxlength="32" required>
<button id="submit" type="submit">Continue</button></p>
</form></main></body></html>`))

	pageDone = template.Must(template.New("done").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{if .Approved}}Device connected{{else}}Request denied{{end}} · Coze emulator</title>` + pageStyle + `</head><body><main>
<h1 id="result" data-result="{{if .Approved}}approved{{else}}denied{{end}}">{{if .Approved}}Device connected{{else}}Request denied{{end}}</h1>
<p>{{if .Approved}}You can close this window and return to your device.{{else}}The device was not given access. You can close this window.{{end}}</p>
</main></body></html>`))
)

// writePage renders an HTML page with headers that keep it out of frames
// and caches and let it load nothing from elsewhere.
func writePage(w http.ResponseWriter, status int, t *template.Template, data any) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'")
	w.WriteHeader(status)
	_ = t.Execute(w, data)
}
