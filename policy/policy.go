package policy

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/ratelimit"
)

// SessionMode says how a policy forms the Coze session_name.
type SessionMode string

// Session modes.
const (
	// SessionTrust uses the caller's X-User-ID or session_name as given,
	// within the names no partition reserves: no ':' (cozeauth's namespace
	// separator) and no policy's fixed session value.
	SessionTrust SessionMode = "trust"
	// SessionPrefix prefixes the caller's session with the client's
	// identity ("backend-1#3f9a1c2b:alice"), so two clients can never
	// share a session, nor a new client inherit a revoked one's.
	SessionPrefix SessionMode = "prefix"
	// SessionFixed ignores the caller and uses Policy.SessionValue.
	SessionFixed SessionMode = "fixed"
	// SessionCookie derives the session from a server-signed cookie set by
	// cozeauth itself (public widgets); the caller cannot choose it.
	SessionCookie SessionMode = "cookie"
)

// SessionSep separates a partition (a client's identity, "visitor") from
// the name within it. Callers of trust policies may not use it.
const SessionSep = ":"

// Policy is what one kind of caller may get. Omitted fields never grant
// more than the app they name: see Decide.
type Policy struct {
	Name            string
	Apps            []string    // apps it may use; the first is its default; none allows nothing
	MaxScope        *coze.Scope // the most a request may ask; nil: the app's scope
	DefaultScope    *coze.Scope // used when the caller asks for none; nil: the max
	MaxDuration     int         // largest duration_seconds; 0: the app's default duration
	DefaultDuration int         // 0: the app's default, capped by the max
	Session         SessionMode // "": prefix, or cookie when Public
	SessionValue    string      // for SessionFixed
	Origins         []string    // browser origins allowed ("https://example.com"); empty: none
	Public          bool        // allows unauthenticated callers from Origins
	PerKey          Rate        // per client key (or per cookie session when public)
	PerIP           Rate        // per caller IP
	Paths           []string    // API paths it may call through the gateway (prefixes); nil: DefaultPaths
	// GatewayOnly: callers use the gateway only, which enforces the
	// policy itself; the token API refuses them a raw token.
	GatewayOnly bool
	// SessionContext allows callers to send a session_context.
	SessionContext bool
	// HandOutPAT lets the token API hand out a pat app's token itself.
	// Without it (the default) a PAT, which lasts up to a year or forever
	// and cannot be narrowed, only ever leaves through the gateway.
	HandOutPAT bool
	// ExtensionOrigins are browser-extension origins (a user script
	// manager's, chrome-extension://<id>) whose requests the policy's
	// keyed callers may send; see AllowsOrigin.
	ExtensionOrigins []string
}

// Mode is the policy's session mode, its default resolved: prefix for
// keyed policies, cookie for public ones (the only mode in which a
// visitor cannot pick another visitor's session).
func (p *Policy) Mode() SessionMode {
	switch {
	case p.Session != "":
		return p.Session
	case p.Public:
		return SessionCookie
	}
	return SessionPrefix
}

// Rate is a token bucket: PerSecond sustained, Burst at once. Zero is no
// limit. It is ratelimit.Rate, the one rate type config, policy and
// broker share.
type Rate = ratelimit.Rate

// Input is what the caller asked for, as the server understood it.
type Input struct {
	Client         string      // authenticated client's identity (Client.ID()); "" when anonymous
	App            string      // "" for the policy's default
	Session        string      // caller's X-User-ID / session_name
	SessionGiven   bool        // whether the caller named a session
	CookieSession  string      // the verified cookie session id (SessionCookie)
	Scope          *coze.Scope // nil: the policy's default scope
	Duration       int         // 0 (or less): the policy's default
	SessionContext bool        // whether the caller sent a session_context
	// FixedSessions are the session values of every fixed policy: names a
	// trust caller may not take.
	FixedSessions []string
}

// AppDefaults is what the app a request resolves to grants when a policy
// says nothing: its configured scope (nil: the app's full permissions)
// and its default duration (0: Coze's 900 s).
type AppDefaults struct {
	Scope    *coze.Scope
	Duration int
}

// Decision is the token to hand out, fully resolved.
type Decision struct {
	App      string
	Session  string // "" for the server's default session (trust mode only)
	Scope    *coze.Scope
	Duration int
}

// Denied is a refusal, with the HTTP-like status the server should use.
type Denied struct {
	Status     int
	Code       string
	Msg        string
	RetryAfter time.Duration // for 429
}

func (d *Denied) Error() string { return d.Msg }

func deny(status int, code, format string, args ...any) *Denied {
	return &Denied{Status: status, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// AppFor is the app a request naming app (or "" for the default) uses
// under p: the policy's first app by default.
func (p *Policy) AppFor(app string) string {
	if app == "" && len(p.Apps) > 0 {
		return p.Apps[0]
	}
	return app
}

// Decide applies p to in, for the app AppFor(in.App) whose defaults are
// app. It never widens what the caller asked for: a request beyond the
// policy is refused (403), not silently narrowed. Omitted policy fields
// grant no more than the app's defaults: no apps allows none, no scope is
// the app's scope, no max_duration is the app's duration, no session
// mode is prefix (cookie when public). The scope decided carries every
// restriction of the policy's (or else the app's) scope: see Narrow.
// Decide is pure: it reads p, in and app and changes none of them.
func (p *Policy) Decide(in Input, app AppDefaults) (Decision, error) {
	var d Decision
	d.App = p.AppFor(in.App)
	if !slices.Contains(p.Apps, d.App) {
		if len(p.Apps) == 0 {
			return d, deny(403, "app_not_allowed", "policy %q lists no apps, so it allows none", p.Name)
		}
		return d, deny(403, "app_not_allowed", "policy %q does not allow app %q", p.Name, d.App)
	}
	max := p.MaxScope
	if max == nil {
		max = app.Scope
	}
	req := in.Scope
	if req == nil {
		req = p.DefaultScope
	}
	var why string
	if d.Scope, why = Narrow(req, max); why != "" {
		return d, deny(403, "scope_not_allowed", "policy %q does not allow this scope: %s", p.Name, why)
	}
	appD := cmp.Or(app.Duration, coze.DefaultDuration)
	maxD := cmp.Or(p.MaxDuration, appD)
	d.Duration = in.Duration
	if d.Duration <= 0 { // unset
		d.Duration = min(cmp.Or(p.DefaultDuration, appD), maxD)
	}
	if d.Duration > maxD {
		return d, deny(403, "duration_not_allowed", "policy %q allows duration_seconds up to %d, asked %d", p.Name, maxD, d.Duration)
	}
	if in.SessionGiven && in.Session == "" {
		return d, deny(400, "bad_request", "the session name is empty: send a non-empty X-User-ID or session_name, or none")
	}
	switch p.Mode() {
	case SessionTrust:
		if !in.SessionGiven {
			break
		}
		if strings.Contains(in.Session, SessionSep) {
			return d, deny(403, "session_not_allowed", "policy %q: session names may not contain %q, which separates the sessions cozeauth keeps for other clients and visitors", p.Name, SessionSep)
		}
		if slices.Contains(in.FixedSessions, in.Session) {
			return d, deny(403, "session_not_allowed", "policy %q: session %q is reserved for a policy with a fixed session; pick another name", p.Name, in.Session)
		}
		d.Session = in.Session
	case SessionPrefix:
		if in.Client == "" {
			return d, deny(403, "session_not_allowed", "policy %q keeps sessions per client and needs a client key", p.Name)
		}
		d.Session = in.Client + SessionSep + orDefault(in.Session, "default")
	case SessionFixed:
		d.Session = p.SessionValue
	case SessionCookie:
		if in.CookieSession == "" {
			return d, deny(403, "session_not_allowed", "policy %q needs its session cookie; load the page from an allowed origin", p.Name)
		}
		d.Session = "visitor" + SessionSep + in.CookieSession
	default:
		return d, deny(500, "bad_policy", "policy %q has unknown session mode %q", p.Name, p.Session)
	}
	if in.SessionContext && !p.SessionContext {
		return d, deny(403, "session_context_not_allowed", "policy %q does not allow session_context: leave it out, or set session_context: true on the policy", p.Name)
	}
	return d, nil
}

// AllowsOrigin reports whether a browser on origin may use p.
func (p *Policy) AllowsOrigin(origin string) bool {
	return slices.Contains(p.Origins, origin) || slices.Contains(p.ExtensionOrigins, origin)
}

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	return d
}
