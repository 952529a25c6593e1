package config

import (
	"errors"
	"fmt"
	"strings"
)

// FieldError is one problem in the configuration: where, which field, what
// is wrong and what to do.
type FieldError struct {
	Source string // file path or "environment"
	Field  string // e.g. "apps[0].client_id" or "CLIENT_ID"
	Msg    string
	Fix    string
}

func (e *FieldError) Error() string {
	s := e.Source + ": " + e.Field + ": " + e.Msg
	if e.Fix != "" {
		s += " (fix: " + e.Fix + ")"
	}
	return s
}

// errs collects FieldErrors, and warnings: things that work but should
// be fixed.
type errs struct {
	source   string
	list     []error
	warnings []string
}

// warn records a warning; like add, it never repeats key material or a
// token.
func (e *errs) warn(msg string) {
	e.warnings = append(e.warnings, redactSecrets(msg))
}

// has reports whether a problem was recorded for field.
func (e *errs) has(field string) bool {
	for _, p := range e.list {
		if fe, ok := p.(*FieldError); ok && fe.Field == field {
			return true
		}
	}
	return false
}

// add records a problem. Values quoted back in the message go through
// redaction: a private key pasted into the wrong field or variable must not
// be repeated in an error that ends up in a log.
func (e *errs) add(field, fix, format string, args ...any) {
	for i, a := range args {
		switch v := a.(type) {
		case string:
			args[i] = redact(v)
		case error:
			// Errors of our own (coze.ParsePrivateKey's) name the PEM
			// armour in their advice: only a base64 run gives a key away.
			if hasBase64Run(v.Error()) || hasCozeToken(v.Error()) {
				args[i] = errors.New(hiddenValue)
			}
		}
	}
	e.list = append(e.list, &FieldError{Source: e.source, Field: field, Msg: fmt.Sprintf(format, args...), Fix: fix})
}

const hiddenValue = "(value hidden: it looks like a private key or a token)"

// redact replaces a user-supplied value that looks like key material or a
// token (see looksSecret).
func redact(s string) string {
	if looksSecret(s) {
		return hiddenValue
	}
	return s
}

// looksSecret reports whether s holds what looks like key material or a
// token: PEM armour, a run of base64 as long as a PEM body line (also long
// tokens), or a Coze token (pat_, sat_, czs_ and 8 more token characters),
// none of which an app id, region, URL, path or duration has.
func looksSecret(s string) bool {
	return strings.Contains(s, "-----BEGIN") || strings.Contains(s, "PRIVATE KEY") || hasBase64Run(s) || hasCozeToken(s)
}

// redactSecrets is msg with every token-looking word hidden: for texts of
// our own that quote a user's value among other words.
func redactSecrets(msg string) string {
	if !looksSecret(msg) {
		return msg
	}
	return hiddenValue
}

// redactErr is err's text unless it gives key material or a token away.
// Errors of our own name the PEM armour in their advice: only a base64 run
// or a token gives a secret away.
func redactErr(err error) string {
	if hasBase64Run(err.Error()) || hasCozeToken(err.Error()) {
		return hiddenValue
	}
	return err.Error()
}

// tokenPrefixes are the prefixes of Coze tokens: personal and service
// access tokens, and OAuth access tokens.
var tokenPrefixes = []string{"pat_", "sat_", "czs_"}

// hasCozeToken reports whether s has a token prefix followed by 8 or more
// token characters.
func hasCozeToken(s string) bool {
	for _, p := range tokenPrefixes {
		for i := 0; ; {
			j := strings.Index(s[i:], p)
			if j < 0 {
				break
			}
			i += j + len(p)
			n := 0
			for i+n < len(s) && tokenChar(s[i+n]) {
				n++
			}
			if n >= 8 {
				return true
			}
		}
	}
	return false
}

func tokenChar(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' || c == '-' || c == '.'
}

// hasBase64Run reports whether s has 64 base64 characters in a row, the
// length of a PEM body line.
func hasBase64Run(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '+' || c == '/' || c == '=' {
			if run++; run >= 64 {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func (e *errs) err() error {
	if len(e.list) == 0 {
		return nil
	}
	return &Error{Problems: e.list}
}

// Error lists every problem found; use errors.As to get at one FieldError.
type Error struct{ Problems []error }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "invalid configuration (%d problem", len(e.Problems))
	if len(e.Problems) != 1 {
		b.WriteString("s")
	}
	b.WriteString("):")
	for _, p := range e.Problems {
		b.WriteString("\n  - ")
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap exposes every problem to errors.Is and errors.As.
func (e *Error) Unwrap() []error { return e.Problems }
