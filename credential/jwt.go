package credential

import (
	"context"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
)

// JWT mints tokens for a JWT app: one signed assertion and one exchange
// per mint.
type JWT struct {
	Client   *coze.Client
	Signer   *coze.Signer
	TokenURL string
}

// Mint signs an assertion carrying r's session and exchanges it.
func (s *JWT) Mint(ctx context.Context, r broker.Request) (*coze.Token, error) {
	dur := r.Duration
	if dur == 0 {
		dur = coze.DefaultDuration
	}
	return s.Client.JWTToken(ctx, s.Signer, coze.JWTRequest{
		TokenURL:        s.TokenURL,
		DurationSeconds: dur,
		Scope:           r.Scope,
		Claims:          coze.Claims{SessionName: r.Session, SessionContext: r.SessionContext},
	})
}
