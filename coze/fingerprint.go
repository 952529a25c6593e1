package coze

import (
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
)

// Fingerprint is the SHA-256 of pub's PKIX (DER) form, written as OpenSSH
// writes key fingerprints: "SHA256:" and unpadded base64. It identifies a
// key pair locally without showing it; it is NOT the public key id (kid,
// 公钥指纹) that the Coze console assigns to an uploaded key.
func Fingerprint(pub *rsa.PublicKey) string {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "SHA256:(invalid key)"
	}
	sum := sha256.Sum256(der)
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}
