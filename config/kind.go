package config

import (
	"fmt"
	"slices"
	"strings"
)

// Kind is an app's credential kind: how cozeauth gets its access tokens.
type Kind string

// The credential kinds Coze offers.
const (
	KindJWT    Kind = "jwt"    // an OAuth JWT app (服务类应用): sign an assertion, exchange it
	KindPAT    Kind = "pat"    // a personal or service access token (个人/服务访问令牌), used as-is
	KindWeb    Kind = "web"    // an OAuth web app (授权码): client secret, browser login, refresh token
	KindPKCE   Kind = "pkce"   // an OAuth PKCE app: browser login without a secret, refresh token
	KindDevice Kind = "device" // an OAuth device app (设备授权): login from another device, refresh token
)

// Kinds lists every kind, in the order the documentation gives them.
var Kinds = []Kind{KindJWT, KindPAT, KindWeb, KindPKCE, KindDevice}

// ParseKind reads a kind as written in a config file, an environment
// variable or a console download's client_type; "" is KindJWT, so that
// configurations written before kinds existed keep their meaning.
func ParseKind(s string) (Kind, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return KindJWT, nil
	}
	if k := Kind(s); slices.Contains(Kinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown app kind %q", s)
}

// UserDelegated reports whether the kind acts for a person who logs in
// (web, pkce, device): its tokens come from that person's grant.
func (k Kind) UserDelegated() bool {
	return k == KindWeb || k == KindPKCE || k == KindDevice
}

// kindField is a field that only some kinds have.
type kindField struct {
	name  string // yaml name
	set   bool
	kinds []Kind
}

// kindFields lists r's kind-specific fields and whether each is set.
func (r *rawApp) kindFields() []kindField {
	oauth := []Kind{KindJWT, KindWeb, KindPKCE, KindDevice}
	return []kindField{
		{"client_id", r.ClientID != "", oauth},
		{"oauth_config_file", r.OAuthConfigFile != "", oauth},
		{"key_id", r.KeyID != "", []Kind{KindJWT}},
		{"private_key", r.PrivateKey != "", []Kind{KindJWT}},
		{"private_key_file", r.PrivateKeyFile != "", []Kind{KindJWT}},
		{"assertion_ttl", r.AssertionTTL != "", []Kind{KindJWT}},
		{"token", r.Token != "", []Kind{KindPAT}},
		{"token_file", r.TokenFile != "", []Kind{KindPAT}},
		{"client_secret", r.ClientSecret != "", []Kind{KindWeb}},
		{"client_secret_file", r.ClientSecretFile != "", []Kind{KindWeb}},
		{"redirect_uri", r.RedirectURI != "", []Kind{KindWeb, KindPKCE}},
		{"workspace_id", r.WorkspaceID != "", []Kind{KindWeb, KindPKCE, KindDevice}},
	}
}

// checkKindFields refuses fields of other kinds in a file (a key_id on a
// web app is a mistake worth knowing about). From the environment, where
// variables are often set for other tools, they are ignored with a
// warning instead.
func (r *rawApp) checkKindFields(k Kind, e *errs) {
	for _, f := range r.kindFields() {
		if !f.set || slices.Contains(f.kinds, k) {
			continue
		}
		if r.env {
			e.warn(fmt.Sprintf("%s is set but not used: the app is kind %s (set COZEAUTH_APP_KIND to %s to use it)", r.field(f.name), k, kindList(f.kinds)))
			r.clear(f.name)
			continue
		}
		e.add(r.field(f.name), fmt.Sprintf("remove it, or set kind: %s if that is what the app is", kindList(f.kinds)),
			"%s is a field of %s apps, and this app is kind %s", f.name, kindList(f.kinds), k)
	}
}

// clear forgets a field read from the environment for another kind.
func (r *rawApp) clear(name string) {
	for _, p := range []struct {
		n   string
		dst *string
	}{{"client_id", &r.ClientID}, {"oauth_config_file", &r.OAuthConfigFile}, {"key_id", &r.KeyID}, {"private_key", &r.PrivateKey},
		{"private_key_file", &r.PrivateKeyFile}, {"assertion_ttl", &r.AssertionTTL}, {"token", &r.Token}, {"token_file", &r.TokenFile},
		{"client_secret", &r.ClientSecret}, {"client_secret_file", &r.ClientSecretFile}, {"redirect_uri", &r.RedirectURI},
		{"workspace_id", &r.WorkspaceID}} {
		if p.n == name {
			*p.dst = ""
		}
	}
}

func kindList(ks []Kind) string {
	s := make([]string, len(ks))
	for i, k := range ks {
		s[i] = string(k)
	}
	return strings.Join(s, " or ")
}
