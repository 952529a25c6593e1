package config

import (
	"strconv"
	"strings"
)

// envNames lists, per field, the variables read, first set wins: the
// Cloudflare Worker's names, then the official SDKs' COZE_* names, then
// cozeauth's own.
var envNames = map[string][]string{
	"kind":               {"COZEAUTH_APP_KIND"},
	"client_id":          {"CLIENT_ID", "COZE_JWT_OAUTH_CLIENT_ID", "COZE_APP_ID", "COZE_CLIENT_ID"},
	"key_id":             {"KID", "COZE_JWT_OAUTH_PUBLIC_KEY_ID", "COZE_KEY_ID"},
	"private_key":        {"PRIVATE_KEY", "COZE_JWT_OAUTH_PRIVATE_KEY"},
	"private_key_file":   {"PRIVATE_KEY_FILE", "COZE_JWT_OAUTH_PRIVATE_KEY_FILE_PATH"},
	"token":              {"COZE_API_TOKEN"},
	"token_file":         {"COZE_API_TOKEN_FILE"},
	"client_secret":      {"COZE_CLIENT_SECRET"},
	"client_secret_file": {"COZE_CLIENT_SECRET_FILE"},
	"redirect_uri":       {"COZE_REDIRECT_URL", "COZE_REDIRECT_URI"},
	"workspace_id":       {"COZE_WORKSPACE_ID"},
	"audience":           {"AUDIENCE", "COZE_AUD"},
	"token_url":          {"TOKEN_ENDPOINT"},
	"api_base":           {"COZE_API_BASE"},
	"www_base":           {"COZE_WWW_BASE"},
	"ws_base":            {"COZE_WS_BASE"},
	"region":             {"COZE_REGION"},
	"duration_seconds":   {"TOKEN_DURATION"},
	"oauth_config":       {"COZE_OAUTH_CONFIG"},
}

// envCredentials are the fields whose variables make an app: any one set
// means the environment configures cozeauth.
var envCredentials = []string{"kind", "client_id", "private_key", "private_key_file", "oauth_config",
	"token", "token_file", "client_secret", "client_secret_file"}

// EnvSet reports whether getenv names any app credential.
func EnvSet(getenv func(string) string) bool {
	for _, f := range envCredentials {
		if _, v := lookup(getenv, f); v != "" {
			return true
		}
	}
	return false
}

func lookup(getenv func(string) string, field string) (name, value string) {
	for _, n := range envNames[field] {
		if v := getenv(n); v != "" {
			return n, v
		}
	}
	return envNames[field][0], ""
}

// LoadEnv builds a one-app Config (app "default") from environment
// variables, as the Cloudflare Worker and the official SDKs name them.
//
// The app's kind is COZEAUTH_APP_KIND when set; else the client_type of
// the console download in COZE_OAUTH_CONFIG; else jwt when a private key
// or key id is set (PRIVATE_KEY, PRIVATE_KEY_FILE, KID and their SDK
// names), web when COZE_CLIENT_SECRET(_FILE) is, pat when COZE_API_TOKEN
// (_FILE) is; else jwt. Variables of other kinds are then ignored, each
// with a warning, so that a COZE_API_TOKEN left over for another tool
// never changes what a JWT setup does.
func LoadEnv(getenv func(string) string) (*Config, error) {
	e := &errs{source: "environment"}
	r := &rawApp{Name: "default", names: map[string]string{}, env: true}
	bind := func(field string, dst *string) {
		name, v := lookup(getenv, field)
		r.names[field] = name
		*dst = strings.TrimSpace(v)
	}
	bind("kind", &r.Kind)
	bind("client_id", &r.ClientID)
	bind("key_id", &r.KeyID)
	bind("private_key", &r.PrivateKey)
	bind("private_key_file", &r.PrivateKeyFile)
	bind("token", &r.Token)
	bind("token_file", &r.TokenFile)
	bind("client_secret", &r.ClientSecret)
	bind("client_secret_file", &r.ClientSecretFile)
	bind("redirect_uri", &r.RedirectURI)
	bind("workspace_id", &r.WorkspaceID)
	bind("audience", &r.Audience)
	bind("token_url", &r.TokenURL)
	bind("api_base", &r.APIBase)
	bind("www_base", &r.WWWBase)
	bind("ws_base", &r.WSBase)
	bind("region", &r.Region)
	bind("oauth_config", &r.OAuthConfigFile)
	r.names["oauth_config_file"] = r.names["oauth_config"]
	if r.Kind == "" && r.OAuthConfigFile == "" {
		r.Kind = string(r.envKind())
	}
	var dur string
	bind("duration_seconds", &dur)
	if dur != "" {
		n, err := strconv.Atoi(dur)
		switch {
		case err != nil:
			e.add(r.names["duration_seconds"], "use a whole number of seconds, 1..86399", "%q is not a number", dur)
		case n == 0: // resolve would take 0 for "unset" and use the default
			e.add(r.names["duration_seconds"], "use 1..86399 seconds (900 is Coze's default), or leave it unset", "0 is out of range")
		default:
			r.DurationSeconds = n
		}
	}
	c := &Config{Source: "environment", Listen: getenv("COZEAUTH_LISTEN"), MetricsListen: getenv("COZEAUTH_METRICS_LISTEN"), DefaultSession: getenv("COZEAUTH_DEFAULT_SESSION"),
		GatewayPrefix: getenv("COZEAUTH_GATEWAY_PREFIX")}
	c.Apps = []App{r.resolve(e)}
	c.Access.AllowedHosts = envAllowedHosts(getenv, e)
	c.TLS = envTLS(getenv, e)
	c.Access.Cookie.MaxAge = DefaultCookieMaxAge
	c.finish(e)
	c.Warnings = append(c.Warnings, e.warnings...)
	return c, e.err()
}

// envKind infers the kind from the credentials set (see LoadEnv).
func (r *rawApp) envKind() Kind {
	switch {
	case r.PrivateKey != "" || r.PrivateKeyFile != "" || r.KeyID != "":
		return KindJWT
	case r.ClientSecret != "" || r.ClientSecretFile != "":
		return KindWeb
	case r.Token != "" || r.TokenFile != "":
		return KindPAT
	}
	return KindJWT
}
