package jwtinfo

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/cozeauth/cozeauth/internal/human"
)

// VerifySignature checks t's RS256 signature against pub. Its error says
// why it failed: another algorithm, or a signature made by a different
// private key.
func VerifySignature(t *Token, pub *rsa.PublicKey) error {
	if t.Alg != "RS256" {
		return fmt.Errorf("alg is %q: Coze assertions are RS256 and only RS256 is checked", t.Alg)
	}
	sum := sha256.Sum256([]byte(t.signed))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], t.Signature); err != nil {
		return fmt.Errorf("signature does not match this public key: the token was signed by another private key, or changed after signing")
	}
	return nil
}

// CheckTimes checks t's time claims at now, allowing leeway of clock
// skew: not expired, not before nbf, iat not in the future.
func CheckTimes(t *Token, now time.Time, leeway time.Duration) error {
	if exp, ok := t.Time("exp"); ok && !now.Before(exp.Add(leeway)) {
		return fmt.Errorf("expired %s ago (exp %s)", human.Duration(now.Sub(exp)), human.Date(exp))
	}
	if nbf, ok := t.Time("nbf"); ok && now.Add(leeway).Before(nbf) {
		return fmt.Errorf("not valid yet: nbf is %s (%s)", human.Relative(nbf, now), human.Date(nbf))
	}
	if iat, ok := t.Time("iat"); ok && now.Add(leeway).Before(iat) {
		return fmt.Errorf("issued in the future: iat is %s; the signer's clock is ahead", human.Relative(iat, now))
	}
	return nil
}
