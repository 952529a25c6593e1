package config

import (
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

func (e *errs) add(field, fix, format string, args ...any) {
	e.list = append(e.list, &FieldError{Source: e.source, Field: field, Msg: fmt.Sprintf(format, args...), Fix: fix})
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
