package coze

import (
	"context"
	"fmt"
	"time"
)

// GrantJWT is the grant_type of a JWT app's exchange.
const GrantJWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// JWTRequest is one JWT-app token request.
type JWTRequest struct {
	TokenURL        string // from TokenURL
	DurationSeconds int    // 1..86399; 900 when zero
	Scope           *Scope
	Claims          Claims
}

// JWTToken signs a fresh assertion and exchanges it for an access token:
// POST with "Authorization: Bearer <assertion>" and {grant_type,
// duration_seconds, client_id, scope}. Each attempt signs anew, since Coze
// refuses a reused jti; so the exchange is idempotent and retried as such
// (see Exchange). The token has no refresh token: mint a new one instead.
func (c *Client) JWTToken(ctx context.Context, s *Signer, r JWTRequest) (*Token, error) {
	dur := r.DurationSeconds
	if dur == 0 {
		dur = DefaultDuration
	}
	if err := ValidDuration(dur); err != nil {
		return nil, err
	}
	body := struct {
		GrantType string `json:"grant_type"`
		Duration  int    `json:"duration_seconds"`
		ClientID  string `json:"client_id,omitempty"`
		Scope     *Scope `json:"scope,omitempty"`
	}{GrantJWT, dur, s.ClientID, r.Scope}
	sign := func() (string, error) {
		a, err := s.Sign(time.Now(), r.Claims)
		if err != nil {
			return "", fmt.Errorf("sign assertion: %w", err)
		}
		return a, nil
	}
	return c.Exchange(ctx, TokenRequest{URL: r.TokenURL, Bearer: sign, Body: body, Idempotent: true})
}

// Duration limits of Coze's duration_seconds.
const (
	DefaultDuration = 900
	MaxDuration     = 86399
)

// ValidDuration checks a duration_seconds value.
func ValidDuration(d int) error {
	if d < 1 || d > MaxDuration {
		return fmt.Errorf("duration_seconds %d is out of range: use 1..%d (default %d)", d, MaxDuration, DefaultDuration)
	}
	return nil
}
