package policy

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// KeyPrefix starts every client key, so a leaked one is recognisable.
const KeyPrefix = "cza_"

// keyBytes is the random part of a client key.
const keyBytes = 32

// Client is a caller known by its key. Only the key's hash is kept.
type Client struct {
	Name    string
	Policy  string
	Hash    string // "sha256:" + hex of its key; "" for a client known only by its certificate
	Created time.Time
	// CertSPKI, when set, is "sha256:" + hex of the SHA-256 of the
	// SubjectPublicKeyInfo of a TLS client certificate that authenticates
	// this client in place of a key (see Keys.LookupCert); "" for none.
	CertSPKI string
}

// NewKey returns a fresh client key and its stored hash.
func NewKey() (key, hash string, err error) {
	var b [keyBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	key = KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return key, HashKey(key), nil
}

// HashKey is the stored form of a key. Keys carry 256 random bits, so a
// plain SHA-256 cannot be reversed or brute-forced; a slow hash would only
// slow every request.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ValidHash checks the stored form.
func ValidHash(h string) error {
	hexPart, ok := strings.CutPrefix(h, "sha256:")
	if b, err := hex.DecodeString(hexPart); !ok || err != nil || len(b) != sha256.Size {
		return errors.New(`key hash must be "sha256:" followed by 64 hex digits (made by "cozeauth keys create")`)
	}
	return nil
}

// Keys finds clients by presented key. It is immutable once built and
// safe for concurrent use.
type Keys struct {
	byHash map[[sha256.Size]byte]*Client
	byCert map[[sha256.Size]byte]*Client // by CertSPKI
}

// NewKeys indexes clients by hash.
func NewKeys(clients []Client) (*Keys, error) {
	k := &Keys{byHash: make(map[[sha256.Size]byte]*Client, len(clients))}
	for i := range clients {
		c := &clients[i]
		if err := k.addCert(c); err != nil {
			return nil, err
		}
		if c.Hash == "" && c.CertSPKI != "" {
			continue // known by its certificate only
		}
		if err := ValidHash(c.Hash); err != nil {
			return nil, fmt.Errorf("client %q: %w", c.Name, err)
		}
		var h [sha256.Size]byte
		hex.Decode(h[:], []byte(c.Hash[len("sha256:"):]))
		if prev := k.byHash[h]; prev != nil {
			return nil, fmt.Errorf("clients %q and %q have the same key hash: give each client its own key", prev.Name, c.Name)
		}
		k.byHash[h] = c
	}
	return k, nil
}

// Len is the number of clients.
func (k *Keys) Len() int { return len(k.byHash) }

// Lookup returns the client holding key. The map is indexed by the key's
// SHA-256, so lookup time says nothing about how close a guess was; the
// final comparison is constant-time all the same.
func (k *Keys) Lookup(key string) (*Client, bool) {
	if k == nil || !strings.HasPrefix(key, KeyPrefix) || len(key) > 128 {
		return nil, false
	}
	sum := sha256.Sum256([]byte(key))
	c, ok := k.byHash[sum]
	if !ok {
		return nil, false
	}
	// Compare digests, not hex strings: ValidHash accepts upper-case hex.
	var stored [sha256.Size]byte
	hexPart, _ := strings.CutPrefix(c.Hash, "sha256:")
	if len(hexPart) != hex.EncodedLen(sha256.Size) {
		return nil, false
	}
	if _, err := hex.Decode(stored[:], []byte(hexPart)); err != nil {
		return nil, false
	}
	if subtle.ConstantTimeCompare(sum[:], stored[:]) != 1 {
		return nil, false
	}
	return c, true
}

// ID is the client's identity: its name and the first 8 hex digits of its
// key hash ("backend-1#3f9a1c2b"), or of its certificate's SPKI hash for
// a client known only by its certificate. A new client that reuses a revoked
// client's name holds another key, so it is someone else: it inherits
// neither the cached tokens nor the Coze sessions of the old one.
func (c *Client) ID() string {
	h := strings.ToLower(strings.TrimPrefix(cmp.Or(c.Hash, c.CertSPKI), "sha256:"))
	if len(h) > 8 {
		h = h[:8]
	}
	return c.Name + "#" + h
}

// VisitorOwner is the owner (broker.Request.Owner) of the tokens held for
// the anonymous visitors of public policy p: one share of the cache for
// all of them, never mistaken for a client's (client IDs carry a '#').
func VisitorOwner(p *Policy) string { return "visitor:" + p.Name }
