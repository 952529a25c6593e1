package grant

import "context"

// Store keeps grants keyed by (app, subject). Every implementation is safe
// for concurrent use by many goroutines (and, for shared stores, many
// processes), hands out copies, and never holds on to a Grant passed in.
//
// Durability: Put, Swap, MarkNeedsLogin, Delete return nil only once the
// change is durable (for the file store: fsynced); on an error, nothing was
// changed. Errors never hold a refresh token.
//
// An implementation over a shared database (Redis) gives versions from one
// counter of the store (INCR), compares and writes in one atomic step (a
// script, or WATCH/MULTI), and seals records with this package's keyring
// and additional data as the file store does.
type Store interface {
	// Get returns the grant of (app, subject), or ErrNotFound.
	Get(ctx context.Context, app, subject string) (*Grant, error)

	// Put creates or replaces the grant of (g.App, g.Subject) whatever its
	// version: a login. On success it sets g.Version to the stored one.
	Put(ctx context.Context, g *Grant) error

	// Swap replaces the stored grant with next only if the stored one
	// still has old.Version: ErrConflict otherwise, ErrNotFound when it
	// is gone. This is how a rotated refresh token is saved: of many
	// writers holding the same version, exactly one wins. next must have
	// old's App and Subject. On success it sets next.Version.
	Swap(ctx context.Context, old, next *Grant) error

	// MarkNeedsLogin sets the grant's state to NeedsLogin with a reason
	// (no secrets; control characters are dropped, length bounded) and
	// forgets its refresh token, if it still has version; ErrConflict or
	// ErrNotFound otherwise.
	MarkNeedsLogin(ctx context.Context, app, subject string, version uint64, reason string) error

	// Delete removes the grant of (app, subject), or answers ErrNotFound.
	Delete(ctx context.Context, app, subject string) error

	// List returns the grants of app ("" for every app) without their
	// refresh tokens, sorted by app then subject.
	List(ctx context.Context, app string) ([]Meta, error)

	// Close releases the store; later calls answer ErrClosed.
	Close() error
}
