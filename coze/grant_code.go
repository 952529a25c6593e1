package coze

import (
	"context"
	"errors"
)

// GrantAuthorizationCode is the grant_type of a code exchange.
const GrantAuthorizationCode = "authorization_code"

// CodeRequest is the exchange of an authorization code from Coze's
// redirect, for a web app (ClientSecret) or a PKCE app (CodeVerifier):
// exactly one of the two is set.
type CodeRequest struct {
	TokenURL     string // from TokenURL
	ClientID     string
	ClientSecret string // web apps: sent as "Authorization: Bearer"
	Code         string // the code parameter of the redirect
	RedirectURI  string // the redirect_uri of the authorize URL, exactly
	CodeVerifier string // PKCE apps: the verifier whose challenge the authorize URL carried
}

// CodeToken exchanges an authorization code for an access token and the
// grant's refresh token. A web app's request carries "Authorization:
// Bearer <client secret>" and {grant_type, client_id, code, redirect_uri};
// a PKCE app's carries no Authorization and adds code_verifier.
//
// A code is single use, so the exchange is not idempotent: it is sent
// again only if it provably never left this machine (see Exchange). Coze's
// refusal of a used, expired or unknown code satisfies IsDeadGrant: start
// a new login. The token's RefreshToken is empty if Coze sent none. As
// with RefreshToken, a malformed HTTP 200 may come with a Token holding
// only the grant's RefreshToken: store it.
// Secrets never appear in the error.
func (c *Client) CodeToken(ctx context.Context, r CodeRequest) (*Token, error) {
	const what = "authorization code exchange"
	if err := errors.Join(
		required(what, "token URL", r.TokenURL, "set the app's api_base"),
		required(what, "client_id", r.ClientID, "copy it from the Coze console (OAuth 应用 → 客户端 ID)"),
		sendable(what, "code", r.Code, "use the code parameter of Coze's redirect as is"),
		required(what, "redirect_uri", r.RedirectURI, "use the redirect URI of the authorize URL"),
	); err != nil {
		return nil, err
	}
	switch {
	case r.ClientSecret != "" && r.CodeVerifier != "":
		return nil, errors.New(what + ": both a client secret and a PKCE code verifier: a web app sends its secret, a PKCE app its verifier")
	case r.ClientSecret == "" && r.CodeVerifier == "":
		return nil, errors.New(what + ": neither a client secret (web app) nor a PKCE code verifier (PKCE app): set the app's client_secret, or keep the login's verifier")
	case r.ClientSecret != "":
		if err := sendable(what, "client secret", r.ClientSecret, "copy it again from the Coze console (OAuth 应用 → 客户端密钥)"); err != nil {
			return nil, err
		}
	default:
		if err := ValidVerifier(r.CodeVerifier); err != nil {
			return nil, errors.New(what + ": " + err.Error())
		}
	}
	body := struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		Code         string `json:"code"`
		RedirectURI  string `json:"redirect_uri"`
		CodeVerifier string `json:"code_verifier,omitempty"`
	}{GrantAuthorizationCode, r.ClientID, r.Code, r.RedirectURI, r.CodeVerifier}
	tok, err := c.Exchange(ctx, TokenRequest{URL: r.TokenURL, Bearer: secretBearer(r.ClientSecret), Body: body})
	return tok, scrub(err, r.ClientSecret, r.Code, r.CodeVerifier)
}

// secretBearer sends a web app's client secret as the bearer; "" sends no
// Authorization at all.
func secretBearer(secret string) func() (string, error) {
	if secret == "" {
		return nil
	}
	return func() (string, error) { return secret, nil }
}
