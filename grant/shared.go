package grant

import (
	"bytes"
	"errors"
	"fmt"
)

// This file is what a Store over a shared database (package replica's
// Redis store) needs to seal, check and version grants exactly as the
// file store does.

// SealGrant seals g (its Version already set) for its (app, subject)
// under the ring's primary key: the same bytes, additional data and
// format as a record of the file store.
func (kr *Keyring) SealGrant(g *Grant) ([]byte, error) { return sealGrant(kr, g) }

// OpenGrant unseals a record sealed by SealGrant (or read from a file
// store) for (app, subject). Its errors wrap ErrWrongKey (a key id the
// ring does not hold) or ErrCorrupt, and never hold a secret.
func (kr *Keyring) OpenGrant(app, subject string, sealed []byte) (*Grant, error) {
	g, err := openGrant(kr, app, subject, sealed)
	return g, recordError(app, subject, err)
}

// purposeShared prefixes the purposes of values other packages seal, so
// they never open as a grant or a key check.
const purposeShared = "cozeauth shared v1 "

// Seal encrypts plaintext under the ring's primary key for purpose and
// names (both bound as additional data: the value opens only with the
// same purpose and names). It is for values other than grants that a
// shared store must not hold in clear, such as cached access tokens.
func (kr *Keyring) Seal(purpose string, plaintext []byte, names ...string) []byte {
	return kr.seal(plaintext, binding(purposeShared+purpose, names...))
}

// Open decrypts a value sealed by Seal with the same purpose and names.
func (kr *Keyring) Open(purpose string, sealed []byte, names ...string) ([]byte, error) {
	return kr.unseal(sealed, binding(purposeShared+purpose, names...))
}

// KeyCheck is the value a store records for key id so that a later
// opening can tell whether it holds the same key; "" id means the
// primary key.
func (kr *Keyring) KeyCheck(id string) []byte {
	if id == "" {
		id = kr.primary
	}
	return kr.sealWith(id, keyCheckValue, binding(purposeKeyCheck, id))
}

// VerifyKeyCheck reports, as an error wrapping ErrWrongKey, whether a key
// check a store recorded for id was made with a different key than the
// ring's key of that id. A ring without that id passes (it cannot tell).
func (kr *Keyring) VerifyKeyCheck(id string, check []byte) error {
	if !kr.Has(id) {
		return nil
	}
	pt, err := kr.unseal(check, binding(purposeKeyCheck, id))
	if err != nil || !bytes.Equal(pt, keyCheckValue) {
		return fmt.Errorf("%w: the key with id %q is not the key this store was sealed with; give the store's key (%s or the key file)", ErrWrongKey, id, EnvStoreKey)
	}
	return nil
}

// Check validates a grant about to be written; its errors wrap
// ErrInvalid and never hold the refresh token.
func (g *Grant) Check() error { return g.check() }

// CheckSwap validates the arguments of Store.Swap.
func CheckSwap(old, next *Grant) error { return checkSwap(old, next) }

// CheckKey validates the (app, subject) that key a grant.
func CheckKey(app, subject string) error { return checkKey(app, subject) }

// MarkedNeedsLogin returns a copy of cur in state NeedsLogin, without
// refresh token, with reason cleaned as Store.MarkNeedsLogin requires.
func MarkedNeedsLogin(cur *Grant, reason string) *Grant { return markedNeedsLogin(cur, reason) }

// Clone returns a deep copy of g.
func (g *Grant) Clone() *Grant { return g.clone() }

// NotFound is the ErrNotFound error a store returns for (app, subject).
func NotFound(app, subject string) error { return notFound(app, subject) }

// Conflict is the ErrConflict error a store returns when the grant of
// (app, subject) is at version have, not want.
func Conflict(app, subject string, want, have uint64) error {
	return conflict(app, subject, want, have)
}

// SortMetas sorts by app, then subject, as List returns them.
func SortMetas(ms []Meta) { sortMetas(ms) }

// IsStoreError reports whether err is one of the store's own answers
// (not found, conflict, invalid), which say nothing about the database's
// health.
func IsStoreError(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict) || errors.Is(err, ErrInvalid)
}
