package grant

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// State says whether a grant can be refreshed.
type State string

const (
	// Active grants hold a refresh token that Coze should accept.
	Active State = "active"
	// NeedsLogin grants hold no usable refresh token: the user must log
	// in again (connect link, device login).
	NeedsLogin State = "needs_login"
)

// Limits on the names that key a grant, in bytes.
const (
	MaxApp     = 64
	MaxSubject = 256
	MaxReason  = 512
)

// Grant is what a user-delegated credential holds for one (App, Subject).
// Stores hand out copies: changing a Grant never changes what is stored
// until it is written back with [Store.Put] or [Store.Swap].
type Grant struct {
	App     string // the app's name in cozeauth's configuration
	Subject string // the end user's session name: printable, 1 to 256 bytes
	// RefreshToken is the secret: it never appears in errors, logs or
	// [Meta]. Empty when State is NeedsLogin.
	RefreshToken string
	Scope        json.RawMessage // the scope as granted, JSON; may be nil
	User         string          // the Coze account it belongs to, if known
	CreatedAt    time.Time       // when the user logged in
	RefreshedAt  time.Time       // when the refresh token was last rotated
	State        State
	Reason       string // why it needs login; never a secret
	// Version is set by the store on every write and is unique within
	// the store: compare it with [Store.Swap] and [Store.MarkNeedsLogin].
	Version uint64
}

// Meta is a grant without its refresh token: what may be listed and shown.
type Meta struct {
	App         string          `json:"app"`
	Subject     string          `json:"subject"`
	Scope       json.RawMessage `json:"scope,omitempty"`
	User        string          `json:"user,omitempty"`
	CreatedAt   time.Time       `json:"created_at"`
	RefreshedAt time.Time       `json:"refreshed_at"`
	State       State           `json:"state"`
	Reason      string          `json:"reason,omitempty"`
	Version     uint64          `json:"version"`
}

// Meta returns g without its refresh token.
func (g *Grant) Meta() Meta {
	return Meta{
		App: g.App, Subject: g.Subject, Scope: cloneRaw(g.Scope), User: g.User,
		CreatedAt: g.CreatedAt, RefreshedAt: g.RefreshedAt, State: g.State,
		Reason: g.Reason, Version: g.Version,
	}
}

// clone returns a deep copy of g.
func (g *Grant) clone() *Grant {
	c := *g
	c.Scope = cloneRaw(g.Scope)
	return &c
}

// String names the grant without its refresh token, so that printing a
// Grant by mistake leaks nothing.
func (g Grant) String() string {
	return fmt.Sprintf("grant{app=%q subject=%q state=%s version=%d}", g.App, g.Subject, g.State, g.Version)
}

// GoString is String, for %#v.
func (g Grant) GoString() string { return g.String() }

func cloneRaw(r json.RawMessage) json.RawMessage {
	if r == nil {
		return nil
	}
	return append(json.RawMessage(nil), r...)
}

// check validates a grant about to be written. Its errors name the field
// and never hold the refresh token.
func (g *Grant) check() error {
	if g == nil {
		return fmt.Errorf("%w: no grant given", ErrInvalid)
	}
	if err := checkKey(g.App, g.Subject); err != nil {
		return err
	}
	switch g.State {
	case Active:
		if g.RefreshToken == "" {
			return fmt.Errorf("%w: grant for app %q subject %q is active but has no refresh token", ErrInvalid, g.App, g.Subject)
		}
	case NeedsLogin:
	default:
		return fmt.Errorf("%w: grant for app %q subject %q has state %q: use %q or %q", ErrInvalid, g.App, g.Subject, g.State, Active, NeedsLogin)
	}
	if len(g.Reason) > MaxReason {
		return fmt.Errorf("%w: reason is %d bytes: at most %d", ErrInvalid, len(g.Reason), MaxReason)
	}
	if len(g.Scope) > 0 && !json.Valid(g.Scope) {
		return fmt.Errorf("%w: grant for app %q subject %q: scope is not valid JSON", ErrInvalid, g.App, g.Subject)
	}
	return nil
}

// checkKey validates the (app, subject) that key a grant.
func checkKey(app, subject string) error {
	if err := checkName("app", app, MaxApp); err != nil {
		return err
	}
	return checkName("subject", subject, MaxSubject)
}

func checkName(what, s string, max int) error {
	if s == "" {
		return fmt.Errorf("%w: %s is empty", ErrInvalid, what)
	}
	if len(s) > max {
		return fmt.Errorf("%w: %s is %d bytes: at most %d", ErrInvalid, what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%w: %s contains a control character (%U)", ErrInvalid, what, r)
		}
	}
	return nil
}

// cleanReason bounds a reason and strips control characters, so that a
// message quoted from Coze cannot forge log lines.
func cleanReason(s string) string {
	out := make([]rune, 0, len(s))
	n := 0
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) {
			r = ' '
		}
		if n+utf8.RuneLen(r) > MaxReason {
			break
		}
		n += utf8.RuneLen(r)
		out = append(out, r)
	}
	return string(out)
}
