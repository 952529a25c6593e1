package broker

import (
	"context"

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
