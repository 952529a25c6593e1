package policy

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// SPKIHash is the form a client's CertSPKI takes: "sha256:" and the hex
// SHA-256 of the certificate's DER SubjectPublicKeyInfo, the same value as
//
//	openssl x509 -in client.crt -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum
//
// It names the key pair, so a certificate renewed with the same key keeps
// its client, and one for a new key needs the client's entry updated.
func SPKIHash(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// ValidSPKIHash checks the CertSPKI form.
func ValidSPKIHash(h string) error {
	hexPart, ok := strings.CutPrefix(h, "sha256:")
	if b, err := hex.DecodeString(hexPart); !ok || err != nil || len(b) != sha256.Size {
		return errors.New(`certificate hash must be "sha256:" followed by the 64 hex digits of the SHA-256 of the certificate's public key (SubjectPublicKeyInfo)`)
	}
	return nil
}

func (k *Keys) addCert(c *Client) error {
	if c.CertSPKI == "" {
		return nil
	}
	if err := ValidSPKIHash(c.CertSPKI); err != nil {
		return fmt.Errorf("client %q: %w", c.Name, err)
	}
	var h [sha256.Size]byte
	hex.Decode(h[:], []byte(c.CertSPKI[len("sha256:"):]))
	if k.byCert == nil {
		k.byCert = map[[sha256.Size]byte]*Client{}
	}
	if prev := k.byCert[h]; prev != nil {
		return fmt.Errorf("clients %q and %q have the same certificate hash: give each client its own certificate key", prev.Name, c.Name)
	}
	k.byCert[h] = c
	return nil
}

// LookupCert returns the client a TLS connection's client certificate
// authenticates, and that certificate's SPKI hash. Only a certificate
// crypto/tls verified against the configured client CA counts (a
// connection without VerifiedChains gives no client and ""); a verified
// certificate no client names gives no client and its hash, for the
// error message. Deny by default: nothing is derived from the subject
// or any other name in the certificate.
func (k *Keys) LookupCert(cs *tls.ConnectionState) (*Client, string) {
	if cs == nil || len(cs.VerifiedChains) == 0 || len(cs.PeerCertificates) == 0 {
		return nil, ""
	}
	leaf := cs.PeerCertificates[0]
	sum := sha256.Sum256(leaf.RawSubjectPublicKeyInfo)
	hash := "sha256:" + hex.EncodeToString(sum[:])
	if k == nil {
		return nil, hash
	}
	return k.byCert[sum], hash
}
