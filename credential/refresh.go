package credential

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/grant"
)

// refreshTimeout bounds one redemption, whoever asked for it: a caller
// that gives up does not cut a redemption short, since Coze may already
// have spent the refresh token and its answer must be saved.
const refreshTimeout = 30 * time.Second

// Refresh mints tokens for a user-delegated app (web, PKCE or device) by
// redeeming the refresh token of the end user's grant. The grant's subject
// is the Request's session name, as the token API and the gateway decide
// it under the caller's policy.
//
// Guarantees:
//   - one redemption in flight per subject, however many callers ask;
//   - Coze rotates refresh tokens: the new one is saved (Store.Swap, which
//     returns once it is durable) before the new access token is handed
//     out. A rotated refresh token is saved even when the rest of Coze's
//     answer is refused. The only window in which a grant can be lost is
//     a crash after Coze answered and before the save completed: the
//     protocol does not allow closing it (Coze spends the old token when
//     it answers);
//   - a refresh token Coze refuses as invalid, expired or already used
//     marks the grant needs-login; it is never presented again, and every
//     later Mint fails at once with *NeedsLogin until the user logs in.
type Refresh struct {
	App          string // the app's name: grants are keyed by (App, subject)
	Client       *coze.Client
	TokenURL     string
	ClientID     string
	ClientSecret string // web apps only
	Grants       grant.Store

	flight singleflight.Group
}

// Mint redeems the grant of r.Session.
func (s *Refresh) Mint(ctx context.Context, r broker.Request) (*coze.Token, error) {
	ch := s.flight.DoChan(r.Session, func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refreshTimeout)
		defer cancel()
		return s.redeem(rctx, r.Session)
	})
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, res.Err
		}
		return res.Val.(*coze.Token), nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Refresh) redeem(ctx context.Context, subject string) (*coze.Token, error) {
	g, err := s.Grants.Get(ctx, s.App, subject)
	switch {
	case errors.Is(err, grant.ErrNotFound):
		return nil, &NeedsLogin{App: s.App, Subject: subject, Reason: "no Coze account is connected"}
	case err != nil:
		return nil, fmt.Errorf("reading the grant of %q: %w", subject, err)
	case g.State == grant.NeedsLogin:
		return nil, &NeedsLogin{App: s.App, Subject: subject, Reason: g.Reason}
	}
	tok, err := s.Client.RefreshToken(ctx, coze.RefreshRequest{
		TokenURL: s.TokenURL, ClientID: s.ClientID, ClientSecret: s.ClientSecret, RefreshToken: g.RefreshToken,
	})
	if tok != nil && tok.RefreshToken != "" && tok.RefreshToken != g.RefreshToken {
		next := *g
		next.RefreshToken, next.RefreshedAt = tok.RefreshToken, time.Now().UTC()
		// Saved whatever the caller's context: the old token is spent.
		if serr := s.Grants.Swap(context.WithoutCancel(ctx), g, &next); serr != nil {
			if errors.Is(serr, grant.ErrConflict) || errors.Is(serr, grant.ErrNotFound) {
				// A new login or a revocation replaced the grant while
				// this redemption ran: that one wins, and this token, of
				// the login it replaced, is not handed out.
				return nil, fmt.Errorf("the grant of %q changed while it was refreshed; retry", subject)
			}
			return nil, fmt.Errorf("saving the rotated refresh token of %q: %w", subject, serr)
		}
	}
	if err != nil {
		if coze.IsDeadGrant(err) {
			reason := "Coze refused the refresh token"
			if ce, ok := coze.AsError(err); ok {
				reason += " (" + ce.Code + ")"
			}
			_ = s.Grants.MarkNeedsLogin(context.WithoutCancel(ctx), s.App, subject, g.Version, reason)
			return nil, &NeedsLogin{App: s.App, Subject: subject, Reason: reason}
		}
		return nil, err
	}
	return tok, nil
}
