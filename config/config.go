package config

import (
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// Defaults.
const (
	DefaultListen     = "127.0.0.1:8080"
	DefaultSession    = "default-session"
	DefaultMaxEntries = 100_000
	DefaultMaxBytes   = 128 << 20
)

// Config is the whole validated configuration.
type Config struct {
	Source         string   // where it came from: a file path, or "environment"
	Listen         string   // serve's address
	MetricsListen  string   // a separate address for /metrics; "" serves it on Listen (local and admin callers)
	DefaultSession string   // session_name when the caller names none
	DefaultApp     string   // app used when a request names none
	GatewayPrefix  string   // optional path prefix of the API gateway, e.g. "/coze"
	DataDir        string   // where serve keeps state (the grant store); "" for the default
	StoreKeyFile   string   // file holding the grant store's key; "" for $COZEAUTH_STORE_KEY
	LoginReturnTo  []string // URL prefixes a login's return_to may point under
	Cache          Cache
	Apps           []App
	Access         Access   // policies and clients; empty: open (loopback) mode
	Warnings       []string // things that work but should be fixed

	Gateway Gateway // gateway limits; zero fields: the server's defaults
	TLS     TLS     // serve's certificate files; zero: plain HTTP

	UserScript UserScript // GET /cozeauth.user.js: the Coze pages it runs on, this server's public URL

	// Store is the URL of the state shared by several replicas
	// (redis://, rediss://, redis-sentinel://, redis-cluster://; see
	// package replica); $COZEAUTH_STORE overrides it; "" keeps
	// everything in this process. It may hold a password: never log it.
	Store string
}

// Cache tunes the token cache.
type Cache struct {
	MaxEntries int           // most tokens held; least recently used go first
	MaxBytes   int64         // most memory the cached tokens are charged, keys and scopes included
	Skew       time.Duration // never serve a token closer than this to expiry
}

// App is one Coze app: the fields every kind has, and exactly one of the
// kind sub-structs, the one Kind names (JWT for KindJWT, and so on); the
// others are nil.
type App struct {
	Name         string
	Kind         Kind
	Region       coze.Region // "" for an API base that is neither coze.cn nor coze.com
	ClientID     string      // app id (应用ID); "" for a pat app
	APIBase      string
	WWWBase      string // where people log in (web, pkce), e.g. https://www.coze.cn
	WSBase       string // realtime (WebSocket) base, e.g. wss://ws.coze.cn
	Audience     string // a JWT assertion's aud, e.g. api.coze.cn
	AccountID    string
	EnterpriseID string
	Duration     int         // default duration_seconds
	Scope        *coze.Scope // default scope; nil for the app's full permissions
	MintRate     policy.Rate // cap on upstream mints; zero: none
	// Channel: a channel app (渠道), for which Coze enforces a token's
	// scope; only JWT apps can be. For other apps Coze ignores scope:
	// their tokens carry every permission the app (or the person who
	// logged in) has.
	Channel bool

	JWT    *JWTApp    // kind jwt
	PAT    *PATApp    // kind pat
	Web    *WebApp    // kind web
	PKCE   *PKCEApp   // kind pkce
	Device *DeviceApp // kind device
}

// TokenURL is the app's token endpoint.
func (a *App) TokenURL() string {
	return coze.TokenURL(a.APIBase, a.AccountID, a.EnterpriseID)
}

// WorkspaceID is the workspace a user-delegated app's logins are for
// (its workspace_id), or "" for account-wide logins and other kinds.
func (a *App) WorkspaceID() string {
	switch {
	case a.Web != nil:
		return a.Web.WorkspaceID
	case a.PKCE != nil:
		return a.PKCE.WorkspaceID
	case a.Device != nil:
		return a.Device.WorkspaceID
	}
	return ""
}

// Signer returns a JWT app's assertion signer, or nil for an app of
// another kind.
func (a *App) Signer() *coze.Signer {
	if a.JWT == nil {
		return nil
	}
	return &coze.Signer{ClientID: a.ClientID, KeyID: a.JWT.KeyID, Key: a.JWT.Key, Audience: a.Audience, TTL: a.JWT.AssertionTTL}
}

// Clone returns a copy of a whose kind sub-struct is its own, so that
// editing the copy (a test, a reload candidate) never changes a. The
// private key and the scope are shared: neither is ever modified.
func (a App) Clone() App {
	a.JWT = clonePtr(a.JWT)
	a.PAT = clonePtr(a.PAT)
	a.Web = clonePtr(a.Web)
	a.PKCE = clonePtr(a.PKCE)
	a.Device = clonePtr(a.Device)
	return a
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	c := *p
	return &c
}

// LoginCallbackPath is the path of the redirect URI through which serve
// logs users in to web and PKCE apps: an app's redirect_uri must end
// there (it does not clash with the token API's Worker-compatible GET
// /callback).
const LoginCallbackPath = "/oauth/callback"

// RedirectURI is a web or pkce app's redirect URI, "" for other kinds.
func (a *App) RedirectURI() string {
	switch {
	case a.Web != nil:
		return a.Web.RedirectURI
	case a.PKCE != nil:
		return a.PKCE.RedirectURI
	}
	return ""
}

// App returns the app named name ("" for the default app).
func (c *Config) App(name string) (*App, bool) {
	if name == "" {
		name = c.DefaultApp
	}
	for i := range c.Apps {
		if c.Apps[i].Name == name {
			return &c.Apps[i], true
		}
	}
	return nil, false
}
