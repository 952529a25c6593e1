package config

// PKCEApp is what a PKCE app (kind pkce) holds: no secret, only the
// redirect URI Coze sends the browser back to; each login proves itself
// with a fresh code verifier instead.
type PKCEApp struct {
	RedirectURI string // absolute; https unless on this machine
	WorkspaceID string // as WebApp.WorkspaceID
}

// rawPKCE is a pkce app's own fields as written: none beyond redirect_uri,
// which it shares with web apps (see rawWeb).
type rawPKCE struct{}

func (r *rawApp) resolvePKCE(e *errs) *PKCEApp {
	return &PKCEApp{RedirectURI: r.resolveRedirectURI(e), WorkspaceID: r.resolveWorkspace(e)}
}
