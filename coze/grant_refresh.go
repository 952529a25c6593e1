package coze

import (
	"context"
	"errors"
)

// GrantRefreshToken is the grant_type of a refresh.
const GrantRefreshToken = "refresh_token"

// RefreshRequest redeems a refresh token of a web, PKCE or device grant.
type RefreshRequest struct {
	TokenURL     string // from TokenURL
	ClientID     string
	ClientSecret string // web apps only: sent as "Authorization: Bearer"; PKCE and device apps send none
	RefreshToken string
}

// RefreshToken redeems r.RefreshToken for a new access token and a new
// refresh token: POST {grant_type: refresh_token, client_id, refresh_token}
// with "Authorization: Bearer <client secret>" for a web app and no
// Authorization otherwise.
//
// Coze rotates refresh tokens: once it answers, the old one is spent and
// the returned Token's RefreshToken is the grant's from now on; store it
// before using the access token. (If an answer ever lacks one, the old one
// stays the grant's, as RFC 6749 allows.) Should Coze's HTTP 200 be
// refused as malformed, the error comes with a Token holding only the new
// RefreshToken if it was well formed: store it all the same.
//
// The redemption is not idempotent and is never sent twice once it may
// have reached Coze (see Exchange). On an *UnreachableError whose NotSent
// is false, or a Temporary error, the outcome is unknown: keep the old
// refresh token and try later; if Coze did redeem it, that later attempt
// fails with IsDeadGrant. IsDeadGrant(err) means the grant is gone
// (invalid, expired or already used): mark it as needing a new login and
// never send it again. Secrets never appear in the error.
func (c *Client) RefreshToken(ctx context.Context, r RefreshRequest) (*Token, error) {
	const what = "refresh"
	if err := errors.Join(
		required(what, "token URL", r.TokenURL, "set the app's api_base"),
		required(what, "client_id", r.ClientID, "copy it from the Coze console (OAuth 应用 → 客户端 ID)"),
		sendable(what, "refresh token", r.RefreshToken, "the stored grant is damaged: log in again"),
	); err != nil {
		return nil, err
	}
	if r.ClientSecret != "" {
		if err := sendable(what, "client secret", r.ClientSecret, "copy it again from the Coze console (OAuth 应用 → 客户端密钥)"); err != nil {
			return nil, err
		}
	}
	body := struct {
		GrantType    string `json:"grant_type"`
		ClientID     string `json:"client_id"`
		RefreshToken string `json:"refresh_token"`
	}{GrantRefreshToken, r.ClientID, r.RefreshToken}
	tok, err := c.Exchange(ctx, TokenRequest{URL: r.TokenURL, Bearer: secretBearer(r.ClientSecret), Body: body})
	return tok, scrub(err, r.ClientSecret, r.RefreshToken)
}
