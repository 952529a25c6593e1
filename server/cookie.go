package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/config"
)

// The visitor cookie carries a public visitor's session id, signed by the
// server so that a visitor can neither choose nor forge another's. Its
// value is "<id>.<issued>.<mac>": a random 16-byte id (base64url), the
// issue time in Unix seconds, and HMAC-SHA256 over the policy name, the
// browser origin it was issued to, the id and the issue time. A cookie is
// accepted only under the same policy, from the same origin, and until
// max_age after it was issued; anything else gets a fresh visitor id.
//
// Each policy and origin has its own cookie name, so a visitor of two
// sites served by one cozeauth keeps one session per site instead of the
// sites overwriting each other's cookie.
const (
	visitorCookiePrefix = "cozeauth_visitor_"
	maxVisitorCookie    = 128
	visitorIDLen        = 22 // base64url of 16 bytes
	// visitorSkew tolerates replicas whose clocks differ a little.
	visitorSkew = time.Minute
)

// visitorCookieName is the cookie of one policy's visitors on one origin.
func visitorCookieName(policyName, origin string) string {
	h := sha256.New()
	writeField(h, policyName)
	writeField(h, origin)
	return visitorCookiePrefix + hex.EncodeToString(h.Sum(nil)[:6])
}

// visitorSession returns the verified visitor id from the request's
// cookie, or issues a new one and sets it on w.
func (s *Server) visitorSession(w http.ResponseWriter, r *http.Request, acc *access, policyName, origin string) string {
	name := visitorCookieName(policyName, origin)
	maxAge := cmpDuration(acc.cookie.MaxAge, config.DefaultCookieMaxAge)
	now := time.Now()
	if ck, err := r.Cookie(name); err == nil {
		if id, ok := verifyVisitor(ck.Value, acc.cookie.Secret, policyName, origin, now, maxAge); ok {
			return id
		}
	}
	var b [16]byte
	rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	ck := &http.Cookie{Name: name, Value: signVisitor(acc.cookie.Secret, policyName, origin, id, now.Unix()), Path: "/",
		HttpOnly: true, Secure: acc.cookie.Secure, MaxAge: int(maxAge / time.Second)}
	switch acc.cookie.SameSite {
	case "strict":
		ck.SameSite = http.SameSiteStrictMode
	case "none":
		ck.SameSite = http.SameSiteNoneMode
	default:
		ck.SameSite = http.SameSiteLaxMode
	}
	http.SetCookie(w, ck)
	return id
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// signVisitor is the cookie value for visitor id, issued at the Unix
// second issued to origin under policyName.
func signVisitor(secret []byte, policyName, origin, id string, issued int64) string {
	iat := strconv.FormatInt(issued, 10)
	return id + "." + iat + "." + visitorMAC(secret, policyName, origin, id, iat)
}

func visitorMAC(secret []byte, policyName, origin, id, iat string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("cozeauth visitor v2\n"))
	// Length-prefixed, so no two (policy, origin, id, time) share a MAC input.
	for _, f := range []string{policyName, origin, id, iat} {
		writeField(m, f)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func writeField(h interface{ Write([]byte) (int, error) }, f string) {
	var n [binary.MaxVarintLen64]byte
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(f)))])
	h.Write([]byte(f))
}

// verifyVisitor returns the visitor id of a cookie value that signVisitor
// made with secret for policyName and origin, issued no later than
// visitorSkew after now and less than maxAge before it. The MAC is
// compared in constant time; values over 128 bytes are refused unread.
func verifyVisitor(v string, secret []byte, policyName, origin string, now time.Time, maxAge time.Duration) (string, bool) {
	if len(v) > maxVisitorCookie {
		return "", false
	}
	id, rest, ok1 := strings.Cut(v, ".")
	iat, mac, ok2 := strings.Cut(rest, ".")
	if !ok1 || !ok2 || len(id) != visitorIDLen {
		return "", false
	}
	issued, err := strconv.ParseInt(iat, 10, 64)
	if err != nil || strconv.FormatInt(issued, 10) != iat {
		return "", false
	}
	if !hmac.Equal([]byte(mac), []byte(visitorMAC(secret, policyName, origin, id, iat))) {
		return "", false
	}
	t := time.Unix(issued, 0)
	if t.After(now.Add(visitorSkew)) || now.Sub(t) >= maxAge {
		return "", false
	}
	return id, true
}
