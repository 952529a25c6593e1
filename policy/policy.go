// Package policy decides who may get which token: client keys, policies
// (apps, scope, duration, session naming, origins) and rate limits. It
// makes pure decisions over plain values; it knows nothing of HTTP.
package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// SessionMode says how a policy forms the Coze session_name.
type SessionMode string

// Session modes.
const (
	// SessionTrust uses the caller's X-User-ID or session_name as given.
	SessionTrust SessionMode = "trust"
	// SessionPrefix prefixes the caller's session with the client's name
	// ("backend-1:alice"), so two clients can never share a session.
	SessionPrefix SessionMode = "prefix"
	// SessionFixed ignores the caller and uses Policy.SessionValue.
	SessionFixed SessionMode = "fixed"
	// SessionCookie derives the session from a server-signed cookie set by
	// cozeauth itself (public widgets); the caller cannot choose it.
	SessionCookie SessionMode = "cookie"
)

// Policy is what one kind of caller may get.
type Policy struct {
	Name            string
	Apps            []string    // apps it may use; the first is its default
	MaxScope        *coze.Scope // requested scope must be a subset; nil: any
	DefaultScope    *coze.Scope // used when the caller asks for none
	MaxDuration     int         // largest duration_seconds; 0: 86399
	DefaultDuration int         // 0: the app's default
	Session         SessionMode
	SessionValue    string   // for SessionFixed
	Origins         []string // browser origins allowed ("https://example.com"); empty: none
	Public          bool     // allows unauthenticated callers from Origins
	PerKey          Rate     // per client key (or per cookie session when public)
	PerIP           Rate     // per caller IP
	Paths           []string // API paths it may call through the gateway (prefixes); nil: DefaultPaths
}

// Rate is a token bucket: PerSecond sustained, Burst at once. Zero is no
// limit.
type Rate struct {
	PerSecond float64
	Burst     int
}

// Unlimited reports whether r imposes nothing.
func (r Rate) Unlimited() bool { return r.PerSecond <= 0 }

// Input is what the caller asked for, as the server understood it.
type Input struct {
	Client        string      // authenticated client name; "" when anonymous
	App           string      // "" for the policy's default
	Session       string      // caller's X-User-ID / session_name
	SessionGiven  bool        // whether the caller named a session
	CookieSession string      // the verified cookie session id (SessionCookie)
	Scope         *coze.Scope // nil: the policy's default scope
	Duration      int         // 0: the policy's default
}

// Decision is the token to hand out.
type Decision struct {
	App      string // "" for the server's default app
	Session  string // "" for the server's default session
	Scope    *coze.Scope
	Duration int // 0 for the app's default
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

// Decide applies p to in. It never widens what the caller asked for: a
// request beyond the policy is refused (403), not silently narrowed.
func (p *Policy) Decide(in Input) (Decision, error) {
	var d Decision
	d.App = in.App
	if d.App == "" && len(p.Apps) > 0 {
		d.App = p.Apps[0]
	}
	if len(p.Apps) > 0 && !slices.Contains(p.Apps, d.App) {
		return d, deny(403, "app_not_allowed", "policy %q does not allow app %q", p.Name, d.App)
	}
	d.Scope = in.Scope
	if d.Scope == nil {
		d.Scope = p.DefaultScope
		if d.Scope == nil {
			d.Scope = p.MaxScope
		}
	}
	if p.MaxScope != nil {
		if why := Subset(d.Scope, p.MaxScope); why != "" {
			return d, deny(403, "scope_not_allowed", "policy %q does not allow this scope: %s", p.Name, why)
		}
	}
	d.Duration = in.Duration
	if d.Duration == 0 {
		d.Duration = p.DefaultDuration
	}
	maxD := p.MaxDuration
	if maxD == 0 {
		maxD = coze.MaxDuration
	}
	if d.Duration > maxD {
		return d, deny(403, "duration_not_allowed", "policy %q allows duration_seconds up to %d, asked %d", p.Name, maxD, d.Duration)
	}
	switch p.Session {
	case SessionTrust, "":
		if in.SessionGiven {
			d.Session = in.Session
		}
	case SessionPrefix:
		if in.Client == "" {
			return d, deny(403, "session_not_allowed", "policy %q prefixes sessions with the client name and needs a client key", p.Name)
		}
		d.Session = in.Client + ":" + orDefault(in.Session, "default")
	case SessionFixed:
		d.Session = p.SessionValue
	case SessionCookie:
		if in.CookieSession == "" {
			return d, deny(403, "session_not_allowed", "policy %q needs its session cookie; load the page from an allowed origin", p.Name)
		}
		d.Session = "visitor:" + in.CookieSession
	default:
		return d, deny(500, "bad_policy", "policy %q has unknown session mode %q", p.Name, p.Session)
	}
	return d, nil
}

// ClampDuration resolves a decision that left the duration to the app:
// the app's default, capped by the policy's maximum.
func (p *Policy) ClampDuration(d *Decision, appDefault int) {
	if d.Duration > 0 {
		return
	}
	d.Duration = appDefault
	if p.MaxDuration > 0 && d.Duration > p.MaxDuration {
		d.Duration = p.MaxDuration
	}
}

// AllowsOrigin reports whether a browser on origin may use p.
func (p *Policy) AllowsOrigin(origin string) bool {
	return slices.Contains(p.Origins, origin)
}

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	return d
}
