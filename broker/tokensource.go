package broker

import (
	"context"
	"errors"
	"net/http"

	"github.com/cozeauth/cozeauth/coze"
)

// TokenSource hands out a valid token, like golang.org/x/oauth2's.
type TokenSource interface {
	Token(ctx context.Context) (*coze.Token, error)
}

// Source returns a TokenSource for one fixed Request. It is safe for
// concurrent use and never holds a lock across a mint.
func (b *Broker) Source(r Request) TokenSource { return &brokerSource{b: b, r: r} }

type brokerSource struct {
	b *Broker
	r Request
}

func (s *brokerSource) Token(ctx context.Context) (*coze.Token, error) {
	tok, _, err := s.b.Token(ctx, s.r)
	return tok, err
}

// Transport is an http.RoundTripper that sets "Authorization: Bearer" from
// Source on every request, for calling the Coze API from Go.
type Transport struct {
	Source TokenSource
	Base   http.RoundTripper // http.DefaultTransport when nil
}

// RoundTrip clones req with the token set and sends it.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Source == nil {
		return nil, errors.New("broker.Transport: nil Source")
	}
	tok, err := t.Source.Token(req.Context())
	if err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	r2 := req.Clone(req.Context())
	coze.SetBearer(r2.Header, tok.AccessToken)
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r2)
}
