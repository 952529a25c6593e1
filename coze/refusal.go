package coze

import (
	"errors"
	"strings"
)

// IsTemporary reports whether err may go away by itself: Coze answered 5xx
// or 429, or did not answer at all. Whether the same request may be sent
// again is another matter: see Exchange.
func IsTemporary(err error) bool {
	if ce, ok := AsError(err); ok {
		return ce.Temporary()
	}
	var ue *UnreachableError
	return errors.As(err, &ue)
}

// IsDeadGrant reports whether Coze refused a grant for good: the refresh
// token (or authorization code) is invalid, expired or already used, or the
// user's login session behind it is gone. Such a grant never works again;
// mark it as needing a new login and do not send it again. A temporary
// error is never a dead grant.
func IsDeadGrant(err error) bool {
	ce, ok := AsError(err)
	if !ok || ce.Temporary() {
		return false
	}
	switch ce.Code {
	case CodeInvalidGrant, CodeExpiredToken:
		return true
	case CodeAccessDeny:
		return strings.Contains(strings.ToLower(ce.Message), "login session invalid")
	}
	return false
}

// IsPending reports whether a device poll found the login not approved
// yet (authorization_pending): poll again after the interval.
func IsPending(err error) bool { return hasCode(err, CodeAuthorizationPending) }

// IsSlowDown reports whether Coze asked a device poller to slow down
// (slow_down): add 5 s to the interval and poll again.
func IsSlowDown(err error) bool { return hasCode(err, CodeSlowDown) }

// IsAccessDenied reports whether the person refused the device login
// (access_denied). Stop polling.
func IsAccessDenied(err error) bool { return hasCode(err, CodeAccessDenied) }

// IsExpiredToken reports whether a device code expired before the login
// was approved: Coze said expired_token, or PollDevice saw the code's
// lifetime run out. Stop polling and start a new login.
func IsExpiredToken(err error) bool {
	return errors.Is(err, ErrDeviceCodeExpired) || hasCode(err, CodeExpiredToken)
}

func hasCode(err error, code string) bool {
	ce, ok := AsError(err)
	return ok && ce.Code == code
}
