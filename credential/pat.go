package credential

import (
	"context"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
)

// patLife is how long the broker may reuse a PAT before asking again.
// A PAT has no expiry cozeauth can read; asking again costs nothing (no
// call to Coze), and it bounds how long an edited token takes to apply.
const patLife = time.Hour

// PAT hands out a static personal (or service) access token. It never
// calls Coze: the token is the credential itself, the same for every
// session, scope and duration.
type PAT struct {
	Token string
	now   func() time.Time
}

// Mint returns the token, valid for the broker for patLife.
func (p *PAT) Mint(context.Context, broker.Request) (*coze.Token, error) {
	now := time.Now
	if p.now != nil {
		now = p.now
	}
	return &coze.Token{AccessToken: p.Token, TokenType: "Bearer", ExpiresAt: now().Add(patLife).Truncate(time.Second)}, nil
}
