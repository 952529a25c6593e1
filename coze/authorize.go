package coze

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// AuthorizeRequest is what a consent link carries, for web and PKCE apps.
type AuthorizeRequest struct {
	WWWBase     string // the region's web base, e.g. https://www.coze.cn (Region.WWWBase)
	ClientID    string
	RedirectURI string // where Coze sends the browser back, with ?code=..&state=..
	State       string // random, single use, bound to the browser: the login CSRF guard
	WorkspaceID string // optional: the workspace variant of the consent page

	// PKCE only: the challenge of the login's verifier (S256Challenge) and
	// its method, ChallengeS256 (the default) or ChallengePlain.
	CodeChallenge   string
	ChallengeMethod string
}

// AuthorizeURL builds the consent page URL a browser is sent to:
// {www}/api/permission/oauth2/authorize (or the workspace variant) with
// response_type=code, client_id, redirect_uri, state and, for PKCE,
// code_challenge and code_challenge_method. It refuses a request without a
// client id, an absolute redirect URI or a state, since a consent link
// without state cannot be tied to the browser that asked for it.
func AuthorizeURL(r AuthorizeRequest) (string, error) {
	base, err := url.Parse(strings.TrimRight(r.WWWBase, "/"))
	if err != nil || (base.Scheme != "https" && base.Scheme != "http") || base.Host == "" || base.RawQuery != "" || base.Fragment != "" {
		return "", fmt.Errorf("web base %q is not an http(s) URL like https://www.coze.cn: set the app's www_base", r.WWWBase)
	}
	switch {
	case r.ClientID == "":
		return "", errors.New("authorize URL: the app has no client_id: copy it from the Coze console (OAuth 应用 → 客户端 ID)")
	case r.State == "":
		return "", errors.New("authorize URL: no state: every consent link needs a fresh random state")
	}
	if u, err := url.Parse(r.RedirectURI); err != nil || !u.IsAbs() || u.Host == "" || u.Fragment != "" {
		return "", fmt.Errorf("redirect URI %q is not an absolute URL without a #fragment: use the redirect URI registered with the app in the Coze console", r.RedirectURI)
	}
	q := url.Values{
		"response_type": {"code"},
		"client_id":     {r.ClientID},
		"redirect_uri":  {r.RedirectURI},
		"state":         {r.State},
	}
	if r.CodeChallenge != "" {
		method := r.ChallengeMethod
		if method == "" {
			method = ChallengeS256
		}
		switch method {
		case ChallengeS256:
			if len(r.CodeChallenge) != 43 || strings.ContainsFunc(r.CodeChallenge, func(c rune) bool { return c > 0x7f || !unreserved(byte(c)) }) {
				return "", errors.New("authorize URL: code_challenge is not an S256 challenge (43 base64url characters): make it with S256Challenge")
			}
		case ChallengePlain:
			if err := ValidVerifier(r.CodeChallenge); err != nil {
				return "", fmt.Errorf("authorize URL: plain code_challenge: %w", err)
			}
		default:
			return "", fmt.Errorf("authorize URL: code_challenge_method %q is neither S256 nor plain", method)
		}
		q.Set("code_challenge", r.CodeChallenge)
		q.Set("code_challenge_method", method)
	} else if r.ChallengeMethod != "" {
		return "", errors.New("authorize URL: code_challenge_method without a code_challenge")
	}
	return base.String() + authorizePath(r.WorkspaceID) + "?" + q.Encode(), nil
}
