package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/policy"
)

// Paths of the browser login of web and PKCE apps. LoginCallbackPath is
// where Coze sends the browser back: an app's redirect_uri must have this
// path (it does not clash with the token API's Worker-compatible GET
// /callback).
const (
	LoginStartPath    = "/login/start"
	LoginCallbackPath = config.LoginCallbackPath
)

// connectBody is the JSON body of POST /connect.
type connectBody struct {
	App      string `json:"app"`
	Subject  string `json:"subject"`
	ReturnTo string `json:"return_to"`
}

// connectAnswer is POST /connect's answer: the link to open in the user's
// browser and when it stops working (Unix seconds).
type connectAnswer struct {
	URL       string `json:"url"`
	ExpiresAt int64  `json:"expires_at"`
}

// handleConnect answers POST /connect: a backend asks for a short-lived,
// single-use link that connects one of its users' Coze account (for a
// device app: a code the user enters at Coze, see startDeviceLogin). The
// caller is authenticated as for /token, and the subject is decided as
// /token decides the session (a prefix-mode client gets its own
// partition), so the grant is stored under the very name /token and the
// gateway redeem later, and no client can connect into another's subject.
func (s *Server) handleConnect(w http.ResponseWriter, r *http.Request) {
	c := new(caller)
	if !s.admit(w, r, c) {
		return
	}
	if c.policy != nil && c.client == "" {
		s.deny(w, r, c, &policy.Denied{Status: http.StatusForbidden, Code: "connect_needs_client_key",
			Msg: "connect links are made for a backend holding a client key, not for a public page: ask from your backend with its key"})
		return
	}
	var body connectBody
	if perr := decodeConnect(w, r, &body); perr != nil {
		writeError(w, perr.status, perr.code, perr.msg, nil)
		return
	}
	if body.Subject == "" {
		writeError(w, http.StatusBadRequest, "bad_request", "subject is missing: name the user to connect, as you name them in X-User-ID", nil)
		return
	}
	if err := config.ValidSessionName(body.Subject); err != nil {
		writeError(w, http.StatusBadRequest, "bad_request", "subject: "+err.Error(), nil)
		return
	}
	req, denied := s.decide(c, policy.Input{App: body.App, Session: body.Subject, SessionGiven: true}, nil)
	if denied != nil {
		s.deny(w, r, c, denied)
		return
	}
	if len(req.Session) > grant.MaxSubject {
		writeError(w, http.StatusBadRequest, "bad_request", "subject: with the client's partition it is over "+strconv.Itoa(grant.MaxSubject)+" bytes; use a shorter one", nil)
		return
	}
	app, _ := c.gen.cfg.App(req.App)
	if app != nil && app.Kind == config.KindDevice {
		switch {
		case s.grants == nil:
			writeError(w, http.StatusServiceUnavailable, "no_grant_store", "this server keeps no grants: start serve with a data_dir and a store key", nil)
		case body.ReturnTo != "":
			writeError(w, http.StatusBadRequest, "bad_request", "return_to is for browser logins: a device login ends on Coze's page; follow it at status_url instead", nil)
		default:
			s.startDeviceLogin(w, r, c.client, req, app)
		}
		return
	}
	redirect, msg := loginRedirect(app)
	if msg != "" {
		writeError(w, http.StatusBadRequest, "not_a_login_app", msg, nil)
		return
	}
	if s.grants == nil {
		writeError(w, http.StatusServiceUnavailable, "no_grant_store", "this server keeps no grants: start serve with a data_dir and a store key", nil)
		return
	}
	if body.ReturnTo != "" {
		if msg := s.checkReturnTo(c, body.ReturnTo); msg != "" {
			s.deny(w, r, c, &policy.Denied{Status: http.StatusBadRequest, Code: "return_to_not_allowed", Msg: msg})
			return
		}
	}
	id, expires, problem := s.logins.addLink(r.Context(), connectLink{req: req, returnTo: body.ReturnTo})
	switch problem {
	case loginFull:
		w.Header().Set("Retry-After", "60")
		writeError(w, http.StatusServiceUnavailable, "too_many_logins", "too many connect links are outstanding; retry in a minute", nil)
		return
	case loginUnavailable:
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "store_unavailable", "the shared store (Redis) did not answer, so no connect link was made; retry shortly", nil)
		return
	}
	base := *redirect
	base.Path, base.RawPath, base.RawQuery = LoginStartPath, "", url.Values{"t": {id}}.Encode()
	s.auditLogin(r, req.App, req.Session, "link", c.client)
	h := w.Header()
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noStore
	_ = json.NewEncoder(w).Encode(connectAnswer{URL: base.String(), ExpiresAt: expires.Unix()})
}

// loginRedirect is a web or PKCE app's redirect URI, whose origin is
// where its users' browsers reach this server; or why the app cannot be
// connected through a browser.
func loginRedirect(app *config.App) (*url.URL, string) {
	var uri string
	switch {
	case app == nil:
		return nil, "no such app"
	case app.Kind == config.KindWeb && app.Web != nil:
		uri = app.Web.RedirectURI
	case app.Kind == config.KindPKCE && app.PKCE != nil:
		uri = app.PKCE.RedirectURI
	default:
		return nil, "app " + strconv.Quote(app.Name) + " is a " + string(app.Kind) + " app: only web and pkce apps are connected through a browser"
	}
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, "app " + strconv.Quote(app.Name) + " has no usable redirect_uri: set it to this server's " + LoginCallbackPath + " URL"
	}
	if u.Path != LoginCallbackPath {
		return nil, "app " + strconv.Quote(app.Name) + "'s redirect_uri has the path " + strconv.Quote(u.Path) + ", but this server receives logins at " + LoginCallbackPath +
			": set redirect_uri to https://<this server>" + LoginCallbackPath + " here and in the Coze console"
	}
	return u, ""
}

// checkReturnTo says why return_to may not be used, or "". It must be an
// absolute http(s) URL without user info or fragment, https unless on
// this machine, and allowed: under one of the login_return_to prefixes
// (same scheme and host, the prefix's path a whole-segment prefix of its
// path), or at an origin the caller's policy allows, or, in open mode, on
// this machine.
func (s *Server) checkReturnTo(c *caller, rt string) string {
	u, err := url.Parse(rt)
	const fix = "; use an absolute https URL of your application, listed in the server's login return_to list or among the policy's origins"
	switch {
	case err != nil || !u.IsAbs() || u.Opaque != "" || u.Host == "":
		return "return_to is not an absolute URL" + fix
	case u.Scheme != "https" && u.Scheme != "http":
		return "return_to is not an http(s) URL" + fix
	case u.User != nil || u.Fragment != "" || strings.Contains(rt, "#"):
		return "return_to carries a user name or a #fragment" + fix
	case len(rt) > 2048:
		return "return_to is over 2048 bytes" + fix
	}
	host, _ := hostName(u.Host)
	loop := loopbackName(host)
	if u.Scheme == "http" && !loop {
		return "return_to is plain http on a host other than this machine" + fix
	}
	for _, p := range s.returnTo {
		if underPrefix(u, p) {
			return ""
		}
	}
	origin := u.Scheme + "://" + u.Host
	switch {
	case c.policy != nil && c.policy.AllowsOrigin(origin):
		return ""
	case c.policy == nil && c.gen.open && loop:
		return ""
	}
	return "return_to " + strconv.Quote(origin+u.EscapedPath()) + " is not allowed" + fix
}

// underPrefix reports whether u is under prefix p: same scheme and host,
// and p's path equal to u's or a prefix of it ending at a '/'.
func underPrefix(u *url.URL, p string) bool {
	pu, err := url.Parse(p)
	if err != nil || !strings.EqualFold(pu.Scheme, u.Scheme) || !strings.EqualFold(pu.Host, u.Host) {
		return false
	}
	pp, up := pu.EscapedPath(), u.EscapedPath()
	if pp == "" || pp == "/" || pp == up {
		return true
	}
	return strings.HasPrefix(up, strings.TrimSuffix(pp, "/")+"/")
}

// decodeConnect reads POST /connect's JSON body: one object, no unknown
// fields, at most MaxBodyBytes.
func decodeConnect(w http.ResponseWriter, r *http.Request, dst *connectBody) *requestError {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return &requestError{http.StatusRequestEntityTooLarge, "body_too_large", "request body is over " + strconv.Itoa(MaxBodyBytes) + " bytes"}
	case err != nil:
		return badRequest("reading request body: %v", err)
	case len(bytes.TrimSpace(data)) == 0:
		return badRequest(`send a JSON body {"app","subject","return_to"}`)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return badRequest("request body: %s; expected a JSON object with app, subject and optional return_to", jsonProblem(err))
	}
	if dec.More() {
		return badRequest("request body: more than one JSON value")
	}
	return nil
}
