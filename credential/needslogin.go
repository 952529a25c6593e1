package credential

import (
	"fmt"
	"strconv"
)

// NeedsLogin means the end user has no usable grant for the app: never
// connected, revoked, or Coze refused the refresh token (invalid, expired
// or already used). Nothing will work until the user logs in again; it is
// never retried.
type NeedsLogin struct {
	App     string
	Subject string
	Reason  string // why, for people; never a token
}

func (e *NeedsLogin) Error() string {
	s := fmt.Sprintf("app %s has no usable Coze login for %s", strconv.Quote(e.App), strconv.Quote(e.Subject))
	if e.Reason != "" {
		s += " (" + e.Reason + ")"
	}
	return s + ": the user must connect their Coze account again"
}
