package grant

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/cozeauth/cozeauth/internal/secfile"
)

// EnvStoreKey is the environment variable that holds the store key.
const EnvStoreKey = "COZEAUTH_STORE_KEY"

// KeySize is the size of a store key in bytes (AES-256).
const KeySize = 32

const maxKeyID = 32

// Key is one store key and its id. Its String never shows the secret.
type Key struct {
	ID     string // letters, digits, '.', '_' or '-', at most 32
	Secret []byte // KeySize bytes
}

// String shows the key id only.
func (k Key) String() string { return "store key " + k.ID }

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// Keyring holds store keys by id and which one seals new values (the
// primary). It is immutable and safe for concurrent use; printing it shows
// key ids only.
type Keyring struct {
	primary string
	ids     []string // in the order given, primary first
	aeads   map[string]cipher.AEAD
}

// NewKeyring builds a keyring from keys; the first is the primary. Ids must
// be distinct and each secret KeySize bytes.
func NewKeyring(keys ...Key) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, fmt.Errorf("%w: no key given", ErrBadKey)
	}
	kr := &Keyring{primary: keys[0].ID, aeads: make(map[string]cipher.AEAD, len(keys))}
	for i, k := range keys {
		if err := checkKeyID(k.ID); err != nil {
			return nil, fmt.Errorf("key %d: %w", i+1, err)
		}
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("%w: key %q is %d bytes: it must be %d (generate one with `openssl rand -hex 32`)", ErrBadKey, k.ID, len(k.Secret), KeySize)
		}
		if _, dup := kr.aeads[k.ID]; dup {
			return nil, fmt.Errorf("%w: key id %q is listed twice: give each key its own id", ErrBadKey, k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: cannot make a cipher", ErrBadKey, k.ID)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: cannot make a cipher", ErrBadKey, k.ID)
		}
		kr.aeads[k.ID] = aead
		kr.ids = append(kr.ids, k.ID)
	}
	return kr, nil
}

// Primary returns the id of the key that seals new values.
func (kr *Keyring) Primary() string { return kr.primary }

// IDs returns the key ids, primary first.
func (kr *Keyring) IDs() []string { return slices.Clone(kr.ids) }

// Has reports whether the ring holds a key with id.
func (kr *Keyring) Has(id string) bool { _, ok := kr.aeads[id]; return ok }

// String shows the key ids only.
func (kr *Keyring) String() string {
	return fmt.Sprintf("keyring{primary=%s ids=%s}", kr.primary, strings.Join(kr.ids, ","))
}

// GoString is String, for %#v.
func (kr *Keyring) GoString() string { return kr.String() }

func checkKeyID(id string) error {
	if id == "" || len(id) > maxKeyID {
		return fmt.Errorf("%w: key id %q: use 1 to %d letters, digits, '.', '_' or '-'", ErrBadKey, id, maxKeyID)
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("%w: key id %q: use 1 to %d letters, digits, '.', '_' or '-'", ErrBadKey, id, maxKeyID)
		}
	}
	return nil
}

// ParseKeyring reads a keyring from text: one key as 64 hex digits or the
// standard or URL base64 of 32 bytes (its id is then derived from the key:
// "k" and 8 hex digits of a hash), or several as "id:key,id:key" with the
// primary first. Spaces and newlines around entries are ignored. Errors
// never quote key material.
func ParseKeyring(s string) (*Keyring, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, fmt.Errorf("%w: the key is empty: generate one with `openssl rand -hex 32`", ErrBadKey)
	}
	if !strings.ContainsAny(s, ":,") {
		secret, err := decodeKey(s)
		if err != nil {
			return nil, err
		}
		return NewKeyring(Key{ID: DeriveKeyID(secret), Secret: secret})
	}
	var keys []Key
	for i, entry := range strings.Split(s, ",") {
		entry = strings.TrimSpace(entry)
		id, enc, ok := strings.Cut(entry, ":")
		if !ok {
			return nil, fmt.Errorf("%w: entry %d has no id: write several keys as id:key,id:key", ErrBadKey, i+1)
		}
		secret, err := decodeKey(strings.TrimSpace(enc))
		if err != nil {
			return nil, fmt.Errorf("entry %d (id %q): %w", i+1, strings.TrimSpace(id), err)
		}
		keys = append(keys, Key{ID: strings.TrimSpace(id), Secret: secret})
	}
	return NewKeyring(keys...)
}

// DeriveKeyID is the id given to a key written without one: "k" and 8 hex
// digits of a SHA-256 of the key (a one-way fingerprint; it reveals nothing
// usable about the key).
func DeriveKeyID(secret []byte) string {
	h := sha256.Sum256(append([]byte("cozeauth store key id\x00"), secret...))
	return "k" + hex.EncodeToString(h[:4])
}

func decodeKey(s string) ([]byte, error) {
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: a key must be 64 hex digits or the base64 of 32 bytes (this one is %d characters); generate one with `openssl rand -hex 32`", ErrBadKey, len(s))
}

// GenerateKey returns a new random key as 64 hex digits.
func GenerateKey() string {
	return hex.EncodeToString(randomBytes(KeySize))
}

// ReadKeyFile reads a keyring from a file in ParseKeyring's format. The
// warning is not empty when group or others can read the file (it should
// be mode 0600); the keyring is still returned then.
func ReadKeyFile(path string) (kr *Keyring, warning string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("store key file: %w", err)
	}
	kr, err = ParseKeyring(string(b))
	if err != nil {
		return nil, "", fmt.Errorf("store key file %s: %w", path, err)
	}
	return kr, secfile.Warning(path, "store key"), nil
}

// LoadKeyring finds the store key: the key file when keyFile is not
// empty, else the environment variable COZEAUTH_STORE_KEY read through
// getenv. It says what to do when there is none.
func LoadKeyring(getenv func(string) string, keyFile string) (kr *Keyring, warning string, err error) {
	if keyFile != "" {
		return ReadKeyFile(keyFile)
	}
	v := getenv(EnvStoreKey)
	if strings.TrimSpace(v) == "" {
		return nil, "", fmt.Errorf("%w: no store key: set %s (generate one with `openssl rand -hex 32`) or give a key file (--store-key-file)", ErrBadKey, EnvStoreKey)
	}
	kr, err = ParseKeyring(v)
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", EnvStoreKey, err)
	}
	return kr, "", nil
}
