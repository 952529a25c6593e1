package meter

import (
	"slices"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// Outcomes of a token request (Meter.Token).
const (
	Hit    = "hit"    // served from the cache
	Mint   = "mint"   // minted upstream (or read from the shared store) for this request
	Denied = "denied" // refused by a rule; code names the rule
	Error  = "error"  // failed; code is the error code answered
)

// Reasons for an upstream mint (Meter.Mint).
const (
	ForRequest = "request" // a caller waits for it
	ForRefresh = "refresh" // a background refresh ahead of expiry
)

// Meter receives the events of a running server. Implementations must be
// safe for concurrent use and cheap: Token is called on every token
// request, Gateway on every gateway call.
type Meter interface {
	// Token counts one answered token request (POST /token; the tokens
	// gateway calls use are counted by Gateway): app and policy as
	// decided ("" when not known yet), outcome one of Hit, Mint, Denied,
	// Error, code the denial or error code ("" for Hit and Mint).
	Token(app, policy, outcome, code string)
	// Denied counts a refusal by a rule on any route (token, gateway,
	// admin): policy "" when none was known, code the rule's code
	// (rate_limited, path_not_allowed, ...).
	Denied(policy, code string)
	// Mint reports one upstream mint of app (reason ForRequest or
	// ForRefresh) that took d; err is nil on success.
	Mint(app, reason string, d time.Duration, err error)
	// Gateway reports one finished gateway call of app ("" when refused
	// before an app was decided): the HTTP status answered and how long
	// it took, streaming included.
	Gateway(app string, status int, d time.Duration)
	// Streams moves the number of open streamed gateway answers
	// (server-sent events, WebSocket) by delta (+1 or -1).
	Streams(delta int)
	// RateLimited counts a request refused for a rate or concurrency
	// limit: what is "rate_per_ip", "rate_per_key", "inflight" or
	// "mint_rate".
	RateLimited(policy, what string)
	// Reload counts a configuration reload: result "applied" or
	// "refused".
	Reload(result string)
	// AuditDropped counts audit or access log lines dropped because the
	// writer could not keep up.
	AuditDropped(n int)
	// Redis reports one Redis operation (op a fixed command name such as
	// "get", "set", "del", "eval") that took d; err nil on success.
	Redis(op string, d time.Duration, err error)
}

// Nop is a Meter that does nothing: the default.
type Nop struct{}

func (Nop) Token(app, policy, outcome, code string)             {}
func (Nop) Denied(policy, code string)                          {}
func (Nop) Mint(app, reason string, d time.Duration, err error) {}
func (Nop) Gateway(app string, status int, d time.Duration)     {}
func (Nop) Streams(delta int)                                   {}
func (Nop) RateLimited(policy, what string)                     {}
func (Nop) Reload(result string)                                {}
func (Nop) AuditDropped(n int)                                  {}
func (Nop) Redis(op string, d time.Duration, err error)         {}

// Or returns m, or Nop when m is nil.
func Or(m Meter) Meter {
	if m == nil {
		return Nop{}
	}
	return m
}

// cozeCodes are the error_code values CozeCode passes on as they are.
var cozeCodes = []string{
	coze.CodeInvalidClient, coze.CodeInvalidRequest, coze.CodeInvalidGrant,
	coze.CodeUnsupportedGrantType, coze.CodeAccessDeny, coze.CodeInternalError,
	coze.CodeAuthorizationPending, coze.CodeSlowDown, coze.CodeAccessDenied, coze.CodeExpiredToken,
}

// CozeCode is a bounded label for err's Coze error_code: a known code as
// it is, "other" for any other code (Coze's answer is not trusted to stay
// within a set), "none" for a Coze answer without a code, and "" when err
// is not a Coze answer (unreachable, timeout, throttled).
func CozeCode(err error) string {
	ce, ok := coze.AsError(err)
	switch {
	case !ok:
		return ""
	case ce.Code == "":
		return "none"
	case slices.Contains(cozeCodes, ce.Code):
		return ce.Code
	}
	return "other"
}

// StatusClass is "2xx", "3xx", "4xx", "5xx" or "other" for an HTTP status.
func StatusClass(status int) string {
	switch status / 100 {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return "other"
}
