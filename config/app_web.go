package config

import "strings"

// WebApp is what a web app (kind web, OAuth 授权码) holds: the client
// secret sent with every code exchange and refresh, and the redirect URI
// Coze sends the browser back to.
type WebApp struct {
	ClientSecret Secret // never printed: String, logs and JSON show "(hidden)"
	SecretSource string // "file PATH", "PATH: client_secret" (a console download), "COZE_CLIENT_SECRET" or "apps[i].client_secret"
	RedirectURI  string // absolute; https unless on this machine
	// WorkspaceID, when set, sends people to the workspace variant of the
	// consent page (workspace_id/{id}/authorize), so the grant covers that
	// workspace (团队空间); "" for the account-wide page.
	WorkspaceID string
}

// rawWeb is a web app's own fields as written (redirect_uri is shared
// with pkce apps).
type rawWeb struct {
	ClientSecret     string `yaml:"client_secret"`
	ClientSecretFile string `yaml:"client_secret_file"`
	RedirectURI      string `yaml:"redirect_uri"`
}

func (r *rawApp) resolveWeb(e *errs) *WebApp {
	w := &WebApp{RedirectURI: r.resolveRedirectURI(e), WorkspaceID: r.resolveWorkspace(e)}
	sec, src := r.secretField(e, r.ClientSecret, r.ClientSecretFile, "client_secret", "client_secret_file", "client secret")
	if sec == "" {
		if !e.has(r.field("client_secret")) && !e.has(r.field("client_secret_file")) {
			e.add(r.field("client_secret"), "copy the client secret (客户端密钥) from the app's page in the Coze console; give it as client_secret, client_secret_file or env COZE_CLIENT_SECRET", "missing")
		}
		return w
	}
	field := r.field("client_secret")
	if strings.HasPrefix(src, "file ") {
		field = r.field("client_secret_file")
	}
	if checkSecretText(e, field, "client secret", sec) {
		w.ClientSecret, w.SecretSource = Secret(sec), src
	}
	return w
}
