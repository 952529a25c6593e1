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

// errs collects FieldErrors.
type errs struct {
	source string
	list   []error
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
			if hasBase64Run(v.Error()) {
				args[i] = errors.New(hiddenValue)
			}
		}
	}
	e.list = append(e.list, &FieldError{Source: e.source, Field: field, Msg: fmt.Sprintf(format, args...), Fix: fix})
}

const hiddenValue = "(value hidden: it looks like private key material)"

// redact replaces a user-supplied value that looks like key material: PEM
// armour, or a run of base64 as long as a PEM body line (also long tokens),
// which no app id, region, URL, path or duration has.
func redact(s string) string {
	if strings.Contains(s, "-----BEGIN") || strings.Contains(s, "PRIVATE KEY") || hasBase64Run(s) {
		return hiddenValue
	}
	return s
}

// redactErr is err's text unless it gives key material away.
func redactErr(err error) string {
	if hasBase64Run(err.Error()) {
		return hiddenValue
	}
	return err.Error()
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
