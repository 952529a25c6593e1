package broker

import (
	"context"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Source mints a new token for a Request upstream. Implementations need
// not cache: the Broker does.
type Source interface {
	Mint(ctx context.Context, r Request) (*coze.Token, error)
}

// SourceFunc adapts a function to Source.
type SourceFunc func(ctx context.Context, r Request) (*coze.Token, error)

// Mint calls f.
func (f SourceFunc) Mint(ctx context.Context, r Request) (*coze.Token, error) { return f(ctx, r) }

// Shared is a store that several replicas share, so that a token minted by
// one is reused by the others. Implementations must be safe for concurrent
// use; a miss is (nil, nil).
type Shared interface {
	GetToken(ctx context.Context, key string) (*coze.Token, error)
	PutToken(ctx context.Context, key string, t *coze.Token, ttl time.Duration) error
	DeleteToken(ctx context.Context, key string) error
}
