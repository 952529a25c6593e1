package jwtinfo

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Token is a decoded, unverified compact JWT.
type Token struct {
	Header    json.RawMessage // the header JSON as written
	Claims    json.RawMessage // the claims JSON as written
	Alg       string          // header alg
	Typ       string          // header typ
	Kid       string          // header kid (Coze's public key id, 公钥指纹)
	Fields    map[string]any  // the claims, numbers as json.Number
	Signature []byte
	signed    string // header.payload, the signing input
}

// ErrOpaque means the input is a Coze access token or PAT: an opaque
// string, not a JWT.
var ErrOpaque = errors.New("opaque token")

// Parse decodes a compact JWT without verifying it. Surrounding space and a
// leading "Bearer " are ignored.
func Parse(s string) (*Token, error) {
	s = strings.TrimSpace(s)
	if rest, ok := cutPrefixFold(s, "bearer "); ok {
		s = strings.TrimSpace(rest)
	}
	switch {
	case s == "":
		return nil, errors.New("no token given")
	case strings.HasPrefix(s, "czs_"):
		return nil, fmt.Errorf("%w: this is a Coze access token (czs_…), opaque and not a JWT: there is nothing in it to decode; its expiry is the expires_in Coze answered with it", ErrOpaque)
	case strings.HasPrefix(s, "pat_"):
		return nil, fmt.Errorf("%w: this is a Coze personal access token (pat_…), opaque and not a JWT", ErrOpaque)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, fmt.Errorf("not a JWT: expected 3 dot-separated parts (header.claims.signature), got %d", len(parts))
	}
	t := &Token{signed: parts[0] + "." + parts[1]}
	var err error
	if t.Header, err = segment(parts[0], "header"); err != nil {
		return nil, err
	}
	if t.Claims, err = segment(parts[1], "claims"); err != nil {
		return nil, err
	}
	if t.Signature, err = base64.RawURLEncoding.DecodeString(parts[2]); err != nil {
		return nil, errors.New("not a JWT: the signature is not base64url")
	}
	var h struct{ Alg, Typ, Kid any }
	_ = json.Unmarshal(t.Header, &h) // segment checked it is an object
	t.Alg, t.Typ, t.Kid = str(h.Alg), str(h.Typ), str(h.Kid)
	dec := json.NewDecoder(bytes.NewReader(t.Claims))
	dec.UseNumber()
	if err := dec.Decode(&t.Fields); err != nil {
		return nil, fmt.Errorf("not a JWT: claims: %v", err)
	}
	return t, nil
}

// segment decodes one base64url part and checks it is a JSON object.
func segment(s, name string) (json.RawMessage, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("not a JWT: the %s is not base64url", name)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil || m == nil {
		return nil, fmt.Errorf("not a JWT: the %s is not a JSON object", name)
	}
	return b, nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// Time is one time claim.
type Time struct {
	Name string // "iat", "nbf" or "exp"
	At   time.Time
}

// Times returns the time claims present, in the order iat, nbf, exp.
func (t *Token) Times() []Time {
	var out []Time
	for _, name := range []string{"iat", "nbf", "exp"} {
		if at, ok := t.Time(name); ok {
			out = append(out, Time{name, at})
		}
	}
	return out
}

// Time returns the NumericDate claim name, if present and a number.
func (t *Token) Time(name string) (time.Time, bool) {
	n, ok := t.Fields[name].(json.Number)
	if !ok {
		return time.Time{}, false
	}
	f, err := n.Float64()
	if err != nil {
		return time.Time{}, false
	}
	sec := int64(f)
	return time.Unix(sec, int64((f-float64(sec))*1e9)), true
}

// String returns the claim name when it is a string.
func (t *Token) String(name string) string { return str(t.Fields[name]) }

// Indent renders raw JSON indented, keeping the order it was written in.
func Indent(raw json.RawMessage, prefix string) string {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, prefix, "  "); err != nil {
		return string(raw)
	}
	return prefix + b.String()
}
