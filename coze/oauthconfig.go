package coze

import (
	"encoding/json"
	"fmt"
)

// OAuthConfig is the coze_oauth_config.json the Coze console lets a user
// download for an OAuth app, read as-is.
type OAuthConfig struct {
	ClientType   string   `json:"client_type"` // jwt, web, pkce or device
	ClientID     string   `json:"client_id"`
	ClientSecret string   `json:"client_secret,omitempty"`
	PrivateKey   string   `json:"private_key,omitempty"`
	PublicKeyID  string   `json:"public_key_id,omitempty"`
	APIBase      string   `json:"coze_api_base,omitempty"`
	WWWBase      string   `json:"coze_www_base,omitempty"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
}

// ParseOAuthConfig decodes a coze_oauth_config.json. Unknown fields are
// ignored: the console may add some.
func ParseOAuthConfig(data []byte) (*OAuthConfig, error) {
	var c OAuthConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not a coze_oauth_config.json: %v", err)
	}
	if c.ClientType == "" || c.ClientID == "" {
		return nil, fmt.Errorf("not a coze_oauth_config.json: client_type and client_id are required")
	}
	return &c, nil
}
