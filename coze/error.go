package coze

import (
	"errors"
	"fmt"
	"time"
)

// Error is Coze's answer to a refused token request: the HTTP status, its
// error_code and error_message, and the X-Tt-Logid that Coze support asks
// for.
type Error struct {
	Status     int           // HTTP status
	Code       string        // error_code, e.g. "invalid_client"
	Message    string        // error_message
	LogID      string        // X-Tt-Logid header
	RetryAfter time.Duration // from a Retry-After header, if any
}

func (e *Error) Error() string {
	s := fmt.Sprintf("coze refused: HTTP %d", e.Status)
	if e.Code != "" {
		s += " " + e.Code
	}
	if e.Message != "" {
		s += ": " + e.Message
	}
	if e.LogID != "" {
		s += " (log id " + e.LogID + ")"
	}
	return s
}

// Temporary reports whether retrying the same request may succeed (5xx and
// 429).
func (e *Error) Temporary() bool { return e.Status >= 500 || e.Status == 429 }

// Well-known error codes of Coze's OAuth endpoints.
const (
	CodeInvalidClient        = "invalid_client"
	CodeInvalidRequest       = "invalid_request"
	CodeInvalidGrant         = "invalid_grant"
	CodeUnsupportedGrantType = "unsupported_grant_type"
	CodeAccessDeny           = "access_deny" // the app is deactivated, of the wrong type, or the login session is invalid
	CodeInternalError        = "internal_error"
	// Device flow polling.
	CodeAuthorizationPending = "authorization_pending"
	CodeSlowDown             = "slow_down"
	CodeAccessDenied         = "access_denied"
	CodeExpiredToken         = "expired_token"
)

// UnreachableError means no answer came from Coze: DNS, connect, TLS, reset
// or a timeout. Timeout tells the last two apart.
type UnreachableError struct {
	URL     string
	Timeout bool
	// NotSent is true when the request provably never left this machine:
	// no connection was ever made (DNS failure, connection refused). When
	// false, Coze may have received and acted on it.
	NotSent bool
	Err     error
}

func (e *UnreachableError) Error() string {
	if e.Timeout {
		return fmt.Sprintf("coze did not answer in time at %s: %v", e.URL, e.Err)
	}
	return fmt.Sprintf("coze unreachable at %s: %v", e.URL, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// AsError returns the *Error in err's chain, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
