package server

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
)

// visitorCookie carries a public visitor's session id, signed by the
// server so that a visitor can neither choose nor forge another's.
const visitorCookie = "cozeauth_visitor"

// visitorSession returns the verified visitor id from the request's
// cookie, or issues a new one and sets it on w.
func (s *Server) visitorSession(w http.ResponseWriter, r *http.Request, acc *access) string {
	if ck, err := r.Cookie(visitorCookie); err == nil {
		if id, ok := verifyVisitor(ck.Value, acc.cookie.Secret); ok {
			return id
		}
	}
	var b [16]byte
	rand.Read(b[:])
	id := base64.RawURLEncoding.EncodeToString(b[:])
	ck := &http.Cookie{Name: visitorCookie, Value: id + "." + signVisitor(id, acc.cookie.Secret), Path: "/",
		HttpOnly: true, Secure: acc.cookie.Secure, MaxAge: 30 * 24 * 3600}
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

func signVisitor(id string, secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("visitor:" + id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func verifyVisitor(v string, secret []byte) (string, bool) {
	id, sig, ok := strings.Cut(v, ".")
	if !ok || len(id) != 22 || len(v) > 128 {
		return "", false
	}
	return id, hmac.Equal([]byte(sig), []byte(signVisitor(id, secret)))
}
