package jwtinfo

import (
	"fmt"
	"regexp"
	"time"

	"github.com/cozeauth/cozeauth/internal/human"
)

// MaxAssertionLife is the longest assertion lifetime (exp - iat) not
// flagged: Coze's official SDKs use at most an hour.
const MaxAssertionLife = time.Hour

var numeric = regexp.MustCompile(`^[0-9]+$`)

// IsAssertion reports whether t looks like a Coze JWT-bearer assertion: it
// has iss and aud claims.
func (t *Token) IsAssertion() bool {
	_, iss := t.Fields["iss"]
	_, aud := t.Fields["aud"]
	return iss && aud
}

// Lint lists the mistakes worth flagging in a Coze assertion: wrong alg, no
// kid, a long lifetime (a PHP integration set exp 30 days out), no jti, an
// iss that is not an app id, an aud that is neither public region.
func Lint(t *Token) []string {
	var out []string
	if t.Alg != "RS256" {
		out = append(out, fmt.Sprintf("alg is %q: Coze accepts only RS256", t.Alg))
	}
	if !t.IsAssertion() {
		return out
	}
	if t.Kid == "" {
		out = append(out, "no kid in the header: Coze finds the public key by its key id (公钥指纹)")
	}
	if t.Typ != "JWT" {
		out = append(out, fmt.Sprintf("typ is %q: Coze expects \"JWT\"", t.Typ))
	}
	iat, hasIat := t.Time("iat")
	exp, hasExp := t.Time("exp")
	switch {
	case !hasExp:
		out = append(out, "no exp: an assertion must expire (cozeauth uses 5 min)")
	case !hasIat:
		out = append(out, "no iat: Coze checks the issue time")
	case exp.Sub(iat) > MaxAssertionLife:
		out = append(out, fmt.Sprintf("exp is %s after iat: an assertion is used once, right away, so keep it short (cozeauth uses 5 min, Coze's SDKs at most 1 h); "+
			"a long-lived assertion works for anyone who copies it until it expires", human.Duration(exp.Sub(iat))))
	}
	if t.String("jti") == "" {
		out = append(out, "no jti: Coze refuses an assertion without a unique jti (replay protection)")
	}
	if iss := t.String("iss"); !numeric.MatchString(iss) {
		out = append(out, fmt.Sprintf("iss %q is not a numeric app id: iss must be the app id (应用ID)", iss))
	}
	if aud := t.String("aud"); aud != "api.coze.cn" && aud != "api.coze.com" {
		out = append(out, fmt.Sprintf("aud %q is neither api.coze.cn nor api.coze.com: fine for an emulator or private deployment, refused by public Coze", aud))
	}
	return out
}
