package grant

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
)

// A sealed value is
//
//	0x01 | len(id) | id | 12-byte nonce | AES-256-GCM(plaintext) with tag
//
// and its additional data is the header (version, id) followed by a
// purpose label and the length-prefixed names it belongs to, so a value
// opens only where it was sealed. Nonces are random: a key seals far fewer
// than 2^32 values in the life of a store.
const sealVersion = 1

const nonceSize = 12

// Purposes of sealed values, part of their additional data.
const (
	purposeGrant    = "cozeauth grant v1"
	purposeKeyCheck = "cozeauth key check v1"
)

// binding is the additional data for a purpose and its names.
func binding(purpose string, names ...string) []byte {
	b := append([]byte(purpose), 0)
	for _, n := range names {
		b = binary.AppendUvarint(b, uint64(len(n)))
		b = append(b, n...)
	}
	return b
}

// seal encrypts plaintext under the ring's primary key.
func (kr *Keyring) seal(plaintext, ad []byte) []byte {
	return kr.sealWith(kr.primary, plaintext, ad)
}

// sealWith encrypts plaintext under the ring's key id, which it must hold.
func (kr *Keyring) sealWith(id string, plaintext, ad []byte) []byte {
	aead := kr.aeads[id]
	out := make([]byte, 0, 2+len(id)+nonceSize+len(plaintext)+aead.Overhead())
	out = append(out, sealVersion, byte(len(id)))
	out = append(out, id...)
	hdr := len(out)
	out = append(out, randomBytes(nonceSize)...)
	full := append(append([]byte(nil), out[:hdr]...), ad...)
	return aead.Seal(out, out[hdr:], plaintext, full)
}

// sealedKeyID returns the key id a sealed value names.
func sealedKeyID(sealed []byte) (string, error) {
	if len(sealed) < 2 {
		return "", fmt.Errorf("sealed value is %d bytes: too short", len(sealed))
	}
	if sealed[0] != sealVersion {
		return "", fmt.Errorf("sealed value has format %d: this cozeauth reads format %d", sealed[0], sealVersion)
	}
	n := int(sealed[1])
	if n == 0 || n > maxKeyID || len(sealed) < 2+n {
		return "", fmt.Errorf("sealed value has a malformed key id")
	}
	id := string(sealed[2 : 2+n])
	if checkKeyID(id) != nil {
		return "", fmt.Errorf("sealed value has a malformed key id")
	}
	return id, nil
}

// errUnknownKeyID marks a sealed value whose key id is not in the ring.
type errUnknownKeyID struct{ id string }

func (e errUnknownKeyID) Error() string {
	return fmt.Sprintf("sealed with key id %q, which the keyring does not hold", e.id)
}

// unseal decrypts a sealed value. Errors say what is wrong, never with key
// material or plaintext.
func (kr *Keyring) unseal(sealed, ad []byte) ([]byte, error) {
	id, err := sealedKeyID(sealed)
	if err != nil {
		return nil, err
	}
	aead, ok := kr.aeads[id]
	if !ok {
		return nil, errUnknownKeyID{id}
	}
	hdr := 2 + len(id)
	if len(sealed) < hdr+nonceSize+aead.Overhead() {
		return nil, fmt.Errorf("sealed value is %d bytes: too short", len(sealed))
	}
	full := append(append([]byte(nil), sealed[:hdr]...), ad...)
	nonce := sealed[hdr : hdr+nonceSize]
	pt, err := aead.Open(nil, nonce, sealed[hdr+nonceSize:], full)
	if err != nil {
		return nil, fmt.Errorf("sealed value does not open with key id %q: wrong key, damaged, or moved from another record", id)
	}
	return pt, nil
}

// randomBytes returns n bytes from crypto/rand (which never fails in Go
// 1.24 and later).
func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}
