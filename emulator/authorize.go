package emulator

import (
	"net/http"
	"net/url"
	"slices"
	"time"
)

// maxStateBytes bounds the state an authorize request may carry.
const maxStateBytes = 1024

// maxWorkspaceBytes bounds a workspace id in a path.
const maxWorkspaceBytes = 128

// authRequest is a validated authorize request.
type authRequest struct {
	clientID    string
	redirectURI string
	state       string // "" when absent
	workspace   string // "" outside the workspace variant
	challenge   string // PKCE code_challenge, "" when absent
	method      string // "S256" or "plain" with a challenge
}

// authCode is an issued authorization code: what it grants and to whom.
type authCode struct {
	req     authRequest
	user    string
	expires time.Time
	used    bool // spent: kept until it lapses so a replay is told apart
}

func (c *authCode) lapsed(now time.Time) bool { return !now.Before(c.expires) }

// serveAuthorize answers GET {www}/api/permission/oauth2/authorize and its
// workspace variant. A request that names no registered client or redirect
// URI is answered here with Coze's error shape (it must never redirect to
// an unchecked URI); once the redirect URI is known good, problems are
// redirected to it as error=...&state=... (RFC 6749 section 4.1.2.1).
func (s *Server) serveAuthorize(w http.ResponseWriter, r *http.Request, workspace string) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeOAuthError(w, newOAuthErr(http.StatusMethodNotAllowed, "invalid_request", "method not allowed: use GET"))
		return
	}
	q := r.URL.Query()
	req := authRequest{
		clientID:    q.Get("client_id"),
		redirectURI: q.Get("redirect_uri"),
		state:       q.Get("state"),
		workspace:   workspace,
	}
	if len(workspace) > maxWorkspaceBytes {
		writeOAuthError(w, invalidRequest("invalid request: the workspace id in the path is too long"))
		return
	}
	if req.clientID == "" {
		writeOAuthError(w, invalidRequest("invalid request: client_id is required"))
		return
	}
	c, e := s.clientFor(req.clientID, "the authorization code flow", kindWeb, kindPKCE)
	if e != nil {
		writeOAuthError(w, e)
		return
	}
	if !slices.Contains(c.redirectURIs, req.redirectURI) {
		writeOAuthError(w, invalidRequest(
			"invalid request: redirect_uri must equal one of the app's registered redirect URIs exactly"))
		return
	}
	if msg, code := checkAuthQuery(q, c, &req); msg != "" {
		redirectResult(w, req, http.StatusFound, url.Values{"error": {code}, "error_description": {msg}})
		return
	}
	mode, user := s.consentMode()
	switch mode {
	case ApproveAuto:
		s.approveCode(w, req, user, http.StatusFound)
	case ApproveDeny:
		redirectResult(w, req, http.StatusFound, deniedValues())
	default:
		s.askConsent(w, r, &consent{auth: &req, clientID: req.clientID, workspace: workspace})
	}
}

// checkAuthQuery validates response_type, state and PKCE parameters,
// filling req, and answers an error description and code, or "".
func checkAuthQuery(q url.Values, c *client, req *authRequest) (msg, code string) {
	if rt := q.Get("response_type"); rt != "code" {
		return "response_type must be code", "unsupported_response_type"
	}
	if len(req.state) > maxStateBytes {
		return "state is too long", "invalid_request"
	}
	req.challenge, req.method = q.Get("code_challenge"), q.Get("code_challenge_method")
	switch {
	case req.challenge == "" && c.kind == kindPKCE:
		return "code_challenge is required for a PKCE app", "invalid_request"
	case req.challenge == "" && req.method != "":
		return "code_challenge_method without code_challenge", "invalid_request"
	case req.challenge == "":
		return "", ""
	}
	if req.method == "" {
		req.method = "plain" // RFC 7636 section 4.3
	}
	switch req.method {
	case "S256":
		if len(req.challenge) != 43 || !pkceChars(req.challenge) {
			return "code_challenge must be base64url(SHA-256(code_verifier)) without padding", "invalid_request"
		}
	case "plain":
		if !validVerifier(req.challenge) {
			return "a plain code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~", "invalid_request"
		}
	default:
		return "code_challenge_method must be S256 or plain", "invalid_request"
	}
	return "", ""
}

// approveCode issues a code for req consented by user and redirects to it.
func (s *Server) approveCode(w http.ResponseWriter, req authRequest, user string, status int) {
	code := newSecret()
	now := s.now()
	s.mu.Lock()
	ok := s.codes.put(code, &authCode{req: req, user: user, expires: now.Add(s.codeTTL)}, now)
	s.mu.Unlock()
	if !ok {
		writeOAuthError(w, newOAuthErr(http.StatusServiceUnavailable, "internal_error",
			"emulator: too many authorization codes outstanding; try again later"))
		return
	}
	redirectResult(w, req, status, url.Values{"code": {code}})
}

func deniedValues() url.Values {
	return url.Values{"error": {"access_denied"}, "error_description": {"the user denied the authorization request"}}
}

// redirectResult redirects to req's (registered) redirect URI with vals and
// the request's state added to its query.
func redirectResult(w http.ResponseWriter, req authRequest, status int, vals url.Values) {
	u, err := url.Parse(req.redirectURI) // registered, so it parses
	if err != nil {
		writeOAuthError(w, newOAuthErr(http.StatusInternalServerError, "internal_error", "emulator: bad redirect URI"))
		return
	}
	q := u.Query()
	for k, v := range vals {
		q[k] = v
	}
	if req.state != "" {
		q.Set("state", req.state)
	}
	u.RawQuery = q.Encode()
	w.Header().Set("Location", u.String())
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
}
