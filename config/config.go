package config

import (
	"crypto/rsa"
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
	Source         string // where it came from: a file path, or "environment"
	Listen         string // serve's address
	DefaultSession string // session_name when the caller names none
	DefaultApp     string // app used when a request names none
	GatewayPrefix  string // optional path prefix of the API gateway, e.g. "/coze"
	Cache          Cache
	Apps           []App
	Access         Access   // policies and clients; empty: open (loopback) mode
	Warnings       []string // things that work but should be fixed

	Gateway Gateway // gateway limits; zero fields: the server's defaults
}

// Cache tunes the token cache.
type Cache struct {
	MaxEntries int           // most tokens held; least recently used go first
	MaxBytes   int64         // most memory the cached tokens are charged, keys and scopes included
	Skew       time.Duration // never serve a token closer than this to expiry
}

// App is one Coze OAuth app (JWT kind).
type App struct {
	Name         string
	Kind         string // "jwt"
	Region       coze.Region
	ClientID     string
	KeyID        string
	Key          *rsa.PrivateKey
	KeySource    string // "file PATH" or the env var / field it came from
	APIBase      string
	WWWBase      string
	WSBase       string // realtime (WebSocket) base, e.g. wss://ws.coze.cn
	Audience     string
	AccountID    string
	EnterpriseID string
	Duration     int           // default duration_seconds
	AssertionTTL time.Duration // lifetime of each signed assertion
	Scope        *coze.Scope   // default scope; nil for the app's full permissions
	MintRate     policy.Rate   // cap on upstream mints; zero: none
	KeyFile      string        // path of the private key file, if any
	// Channel: a channel app (渠道), for which Coze enforces a token's
	// scope. For other JWT apps Coze ignores scope: their tokens carry
	// every permission the app was authorized for.
	Channel bool
}

// TokenURL is the app's token endpoint.
func (a *App) TokenURL() string {
	return coze.TokenURL(a.APIBase, a.AccountID, a.EnterpriseID)
}

// Signer returns the app's assertion signer.
func (a *App) Signer() *coze.Signer {
	return &coze.Signer{ClientID: a.ClientID, KeyID: a.KeyID, Key: a.Key, Audience: a.Audience, TTL: a.AssertionTTL}
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
