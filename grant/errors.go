package grant

import "errors"

// Errors a Store returns; test with errors.Is. Their texts never hold a
// refresh token or a key.
var (
	// ErrNotFound: no grant for that (app, subject).
	ErrNotFound = errors.New("no grant")
	// ErrConflict: the stored grant's version is not the one expected;
	// another writer won. Read the grant again.
	ErrConflict = errors.New("grant changed meanwhile")
	// ErrInvalid: the grant or its key is malformed; nothing was written.
	ErrInvalid = errors.New("invalid grant")
	// ErrClosed: the store was closed.
	ErrClosed = errors.New("grant store is closed")

	// ErrForeignFile: the file is not a cozeauth grant store.
	ErrForeignFile = errors.New("not a cozeauth grant store")
	// ErrWrongKey: the keyring does not hold the keys the store was
	// sealed with.
	ErrWrongKey = errors.New("wrong store key")
	// ErrCorrupt: the store is truncated or damaged.
	ErrCorrupt = errors.New("grant store is damaged")
	// ErrLocked: another process has the store open.
	ErrLocked = errors.New("grant store is in use")
	// ErrBadKey: a key or keyring is malformed.
	ErrBadKey = errors.New("bad store key")
)
