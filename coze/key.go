package coze

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MinKeyBits is the smallest RSA key accepted.
const MinKeyBits = 2048

// ParsePrivateKey parses an RSA private key in PEM form, PKCS#1
// ("BEGIN RSA PRIVATE KEY") or PKCS#8 ("BEGIN PRIVATE KEY"). Literal "\n"
// escapes, as found in env vars and JSON, are accepted in place of
// newlines. It refuses non-RSA keys, keys under 2048 bits, and public keys
// given by mistake, with an error that says which.
func ParsePrivateKey(data []byte) (*rsa.PrivateKey, error) {
	text := strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff")) // a BOM, as Windows editors write
	if text == "" {
		return nil, errors.New("private key is empty")
	}
	if !strings.Contains(text, "\n") && strings.Contains(text, `\n`) {
		text = strings.ReplaceAll(text, `\n`, "\n")
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New(`private key is not PEM: expected a block starting "-----BEGIN PRIVATE KEY-----" or "-----BEGIN RSA PRIVATE KEY-----"`)
	}
	var key any
	var err error
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case "PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE":
		return nil, fmt.Errorf("got a %s where the private key belongs: the public key is what you upload to the Coze console; give cozeauth the private key (BEGIN PRIVATE KEY)", strings.ToLower(block.Type))
	case "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "ENCRYPTED PRIVATE KEY":
		return nil, fmt.Errorf("unsupported key type %q: Coze needs an unencrypted RSA key (create one with `cozeauth keygen` or `openssl genrsa 2048`)", block.Type)
	default:
		return nil, fmt.Errorf("unsupported PEM block %q: expected PRIVATE KEY or RSA PRIVATE KEY", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("private key does not parse: %v", err)
	}
	switch k := key.(type) {
	case *rsa.PrivateKey:
		if bits := k.N.BitLen(); bits < MinKeyBits {
			return nil, fmt.Errorf("RSA key has %d bits: Coze and cozeauth need at least %d", bits, MinKeyBits)
		}
		return k, nil
	case *ecdsa.PrivateKey:
		return nil, errors.New("key is ECDSA: Coze signs with RS256 and needs an RSA key")
	case ed25519.PrivateKey:
		return nil, errors.New("key is Ed25519: Coze signs with RS256 and needs an RSA key")
	default:
		return nil, fmt.Errorf("key is %T: Coze needs an RSA key", key)
	}
}

// ParsePublicKey parses an RSA public key PEM (PKIX "BEGIN PUBLIC KEY" or
// PKCS#1 "BEGIN RSA PUBLIC KEY").
func ParsePublicKey(data []byte) (*rsa.PublicKey, error) {
	text := strings.TrimSpace(strings.TrimPrefix(string(data), "\ufeff"))
	if !strings.Contains(text, "\n") && strings.Contains(text, `\n`) {
		text = strings.ReplaceAll(text, `\n`, "\n")
	}
	block, _ := pem.Decode([]byte(text))
	if block == nil {
		return nil, errors.New(`public key is not PEM: expected "-----BEGIN PUBLIC KEY-----"`)
	}
	switch block.Type {
	case "PUBLIC KEY":
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("public key does not parse: %v", err)
		}
		rk, ok := k.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Errorf("public key is %T, not RSA", k)
		}
		return rk, nil
	case "RSA PUBLIC KEY":
		return x509.ParsePKCS1PublicKey(block.Bytes)
	case "PRIVATE KEY", "RSA PRIVATE KEY":
		return nil, errors.New("got a private key where the public key belongs")
	}
	return nil, fmt.Errorf("unsupported PEM block %q for a public key", block.Type)
}

// EncodePublicKey renders pub as a PKIX "BEGIN PUBLIC KEY" PEM, the form the
// Coze console accepts.
func EncodePublicKey(pub *rsa.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}), nil
}

// EncodePrivateKey renders key as a PKCS#8 "BEGIN PRIVATE KEY" PEM.
func EncodePrivateKey(key *rsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}
