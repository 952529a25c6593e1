package policy

import (
	"crypto/sha256"
	"encoding/base64"
	"math/bits"
	"strings"
	"testing"
)

func TestNewKey(t *testing.T) {
	const n = 256
	seen := map[string]bool{}
	ones := 0
	for range n {
		key, hash, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		rest, ok := strings.CutPrefix(key, KeyPrefix)
		if !ok || KeyPrefix != "cza_" {
			t.Fatalf("key %q does not start with cza_", key)
		}
		raw, err := base64.RawURLEncoding.DecodeString(rest)
		if err != nil {
			t.Fatalf("key %q: the random part is not base64url: %v", key, err)
		}
		if len(raw) < 32 {
			t.Fatalf("key %q carries %d random bytes, want at least 32", key, len(raw))
		}
		if len(key) != len(KeyPrefix)+base64.RawURLEncoding.EncodedLen(len(raw)) || len(key) > 128 {
			t.Fatalf("key %q has length %d", key, len(key))
		}
		if seen[key] {
			t.Fatalf("key %q generated twice", key)
		}
		seen[key] = true
		if hash != HashKey(key) {
			t.Errorf("NewKey hash %q, HashKey %q", hash, HashKey(key))
		}
		if err := ValidHash(hash); err != nil {
			t.Errorf("NewKey hash %q: %v", hash, err)
		}
		if strings.Contains(hash, rest) {
			t.Errorf("hash %q contains the key", hash)
		}
		for _, b := range raw {
			ones += bits.OnesCount8(b)
		}
	}
	// Random bits are ones half the time: over 65536 bits a fraction
	// outside 0.45..0.55 is some 25 standard deviations away.
	if frac := float64(ones) / float64(n*32*8); frac < 0.45 || frac > 0.55 {
		t.Errorf("fraction of one bits in keys is %.3f, not random", frac)
	}
}

func TestHashKey(t *testing.T) {
	// SHA-256 of "abc" (FIPS 180-2 test vector).
	if got, want := HashKey("abc"), "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("HashKey(abc) = %s, want %s", got, want)
	}
	if HashKey("cza_a") == HashKey("cza_b") || HashKey("cza_a") != HashKey("cza_a") {
		t.Error("HashKey is not a deterministic function of the key")
	}
}

func TestValidHash(t *testing.T) {
	hexd := strings.Repeat("0123456789abcdef", 4)
	cases := []struct {
		h  string
		ok bool
	}{
		{"sha256:" + hexd, true},
		{HashKey("cza_x"), true},
		{"sha256:" + strings.ToUpper(hexd), true},
		{"", false},
		{"sha256:", false},
		{hexd, false},
		{"SHA256:" + hexd, false},
		{"sha512:" + hexd, false},
		{"sha256:" + hexd[:62], false},
		{"sha256:" + hexd + "00", false},
		{"sha256:" + hexd[:63], false},
		{"sha256:" + hexd[:63] + "g", false},
		{"sha256: " + hexd, false},
		{"sha256:" + hexd + "\n", false},
		{"cza_" + strings.Repeat("A", 43), false},
	}
	for _, tc := range cases {
		if err := ValidHash(tc.h); (err == nil) != tc.ok {
			t.Errorf("ValidHash(%q) = %v, want ok=%v", tc.h, err, tc.ok)
		}
	}
}

func TestNewKeysRefusesBadHash(t *testing.T) {
	_, err := NewKeys([]Client{{Name: "good", Hash: HashKey("cza_a")}, {Name: "broken", Hash: "sha256:nothex"}})
	if err == nil || !strings.Contains(err.Error(), `"broken"`) {
		t.Errorf("NewKeys with a bad hash: %v, want an error naming the client", err)
	}
}

// TestNewKeysRefusesSharedKey: two clients holding one key would leave
// which policy applies to the order of the list.
func TestNewKeysRefusesSharedKey(t *testing.T) {
	h := HashKey("cza_shared")
	for _, second := range []string{h, "sha256:" + strings.ToUpper(strings.TrimPrefix(h, "sha256:"))} {
		_, err := NewKeys([]Client{{Name: "low", Policy: "public-ish", Hash: h}, {Name: "high", Policy: "admin", Hash: second}})
		if err == nil || !strings.Contains(err.Error(), `"low"`) || !strings.Contains(err.Error(), `"high"`) {
			t.Errorf("NewKeys with one key for two clients: %v, want an error naming both", err)
		}
	}
}

func TestLookup(t *testing.T) {
	alpha, alphaHash, _ := NewKey()
	beta, betaHash, _ := NewKey()
	revoked, _, _ := NewKey()
	upper, upperHash, _ := NewKey()
	upperHash = "sha256:" + strings.ToUpper(strings.TrimPrefix(upperHash, "sha256:"))
	// Keys that a stored hash matches but that are malformed.
	noPrefix := "pat_" + strings.TrimPrefix(alpha, KeyPrefix)
	long := KeyPrefix + strings.Repeat("A", 125) // 129 bytes
	clients := []Client{
		{Name: "alpha", Policy: "backend", Hash: alphaHash},
		{Name: "beta", Policy: "strict", Hash: betaHash},
		{Name: "upper", Policy: "backend", Hash: upperHash},
		{Name: "noprefix", Policy: "admin", Hash: HashKey(noPrefix)},
		{Name: "long", Policy: "admin", Hash: HashKey(long)},
		{Name: "empty", Policy: "admin", Hash: HashKey("")},
	}
	k, err := NewKeys(clients)
	if err != nil {
		t.Fatal(err)
	}
	if k.Len() != len(clients) {
		t.Errorf("Len = %d, want %d", k.Len(), len(clients))
	}
	cases := []struct {
		name   string
		key    string
		client string // "" for refused
	}{
		{"alpha", alpha, "alpha"},
		{"beta", beta, "beta"},
		{"hash stored in upper case", upper, "upper"},
		{"revoked (absent) key", revoked, ""},
		{"wrong key", KeyPrefix + strings.Repeat("A", 43), ""},
		{"one character changed", alpha[:len(alpha)-1] + flip(alpha[len(alpha)-1]), ""},
		{"truncated", alpha[:len(alpha)-1], ""},
		{"extended", alpha + "A", ""},
		{"trailing newline", alpha + "\n", ""},
		{"leading space", " " + alpha, ""},
		{"prefix in upper case", "CZA_" + strings.TrimPrefix(alpha, KeyPrefix), ""},
		{"the stored hash instead of the key", alphaHash, ""},
		{"without the prefix, though its hash is stored", noPrefix, ""},
		{"over 128 bytes, though its hash is stored", long, ""},
		{"empty, though its hash is stored", "", ""},
		{"prefix alone", KeyPrefix, ""},
		{"NUL bytes", KeyPrefix + "\x00\x00", ""},
		{"invalid UTF-8", KeyPrefix + "\xff\xfe", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := k.Lookup(tc.key)
			switch {
			case tc.client == "" && (ok || c != nil):
				t.Errorf("Lookup(%q) = %+v, %v; want refused", tc.key, c, ok)
			case tc.client != "" && (!ok || c == nil || c.Name != tc.client):
				t.Errorf("Lookup(%q) = %+v, %v; want client %q", tc.key, c, ok, tc.client)
			}
		})
	}
	if c, _ := k.Lookup(beta); c == nil || c.Policy != "strict" {
		t.Errorf("beta's client is %+v, want its policy", c)
	}
	var nilKeys *Keys
	if c, ok := nilKeys.Lookup(alpha); ok || c != nil {
		t.Error("a nil *Keys found a client")
	}
}

// TestLookupComparesStoredHash: finding an entry under the key's digest is
// not enough; the stored hash itself must match. This is the final
// constant-time comparison, which a corrupted or mismatched index entry
// must not slip past.
func TestLookupComparesStoredHash(t *testing.T) {
	key, _, _ := NewKey()
	other, otherHash, _ := NewKey()
	k := &Keys{byHash: map[[sha256.Size]byte]*Client{
		sha256.Sum256([]byte(key)): {Name: "mismatched", Hash: otherHash},
	}}
	if c, ok := k.Lookup(key); ok || c != nil {
		t.Errorf("Lookup accepted a key whose index entry holds another hash: %+v", c)
	}
	if c, ok := k.Lookup(other); ok || c != nil {
		t.Errorf("Lookup accepted a key that is not indexed: %+v", c)
	}
}

func TestLookupEmptyKeys(t *testing.T) {
	k, err := NewKeys(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, _, _ := NewKey()
	if _, ok := k.Lookup(key); ok || k.Len() != 0 {
		t.Error("an empty key set found a client")
	}
}

func flip(c byte) string {
	if c == 'A' {
		return "B"
	}
	return "A"
}
