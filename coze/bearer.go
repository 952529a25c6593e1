package coze

import "net/http"

// SetBearer sets h's Authorization to "Bearer " + token, replacing any
// Authorization already there. It is the one place cozeauth writes that
// header, for token requests and for the API calls it forwards alike. The
// token is not checked: callers pass tokens this package accepted (header
// safe, bounded) or credentials loaded from configuration.
func SetBearer(h http.Header, token string) {
	h.Set("Authorization", "Bearer "+token)
}
