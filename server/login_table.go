package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/broker"
)

// Lifetimes and bounds of the login flow's server-side records.
const (
	// ConnectLinkTTL is how long a connect link from POST /connect works.
	ConnectLinkTTL = 10 * time.Minute
	// LoginStateTTL is how long a browser has, once sent to Coze's consent
	// page, to come back to the callback.
	LoginStateTTL = 10 * time.Minute
	// MaxPendingLogins caps the connect links, and separately the login
	// states, held at once; POST /connect and GET /login/start answer 503
	// when full.
	MaxPendingLogins = 10_000
)

// connectLink is what a connect link stands for: who is to be connected,
// to which app, and where the browser goes afterwards.
type connectLink struct {
	req      broker.Request // app and decided subject (Session), and the cache key of /token
	returnTo string         // "" for the result page
	expires  time.Time
	used     bool // spent: kept until it lapses so a second use is told apart
}

// loginState is one login under way, keyed by its OAuth state.
type loginState struct {
	link        connectLink
	nonce       string // the browser's cookie value: the login is bound to it
	verifier    string // PKCE apps: the code verifier; "" for web apps
	redirectURI string // the redirect_uri of the authorize URL, exactly
	expires     time.Time
	used        bool
}

// loginStore holds the connect links and login states, single use: the
// process's own loginTable, or sharedLogins when replicas share them.
type loginStore interface {
	// addLink stores l under a fresh id: loginFull when too many are
	// outstanding, loginUnavailable when the shared store cannot be reached.
	addLink(ctx context.Context, l connectLink) (string, time.Time, loginProblem)
	// takeLink spends the link id.
	takeLink(ctx context.Context, id string) (connectLink, loginProblem)
	// addState stores st under a fresh state (problems as addLink).
	addState(ctx context.Context, st loginState) (string, loginProblem)
	// takeState spends state if it is known, unspent, unexpired and bound
	// to the browser nonce accepts. A state presented by another browser
	// is refused (ok false, problem loginOK, the link filled in for the
	// audit) and left as it is: the browser it belongs to can still
	// finish (the nonce has 256 bits, so guessing is no way in).
	takeState(ctx context.Context, state string, nonce func(*loginState) bool) (st loginState, problem loginProblem, ok bool)
}

// loginTable holds the connect links and login states, bounded and
// single use. Lapsed records are swept when a new one is added.
type loginTable struct {
	mu     sync.Mutex
	now    func() time.Time
	max    int
	links  map[string]*connectLink
	states map[string]*loginState
}

func newLoginTable() *loginTable {
	return &loginTable{now: time.Now, max: MaxPendingLogins, links: map[string]*connectLink{}, states: map[string]*loginState{}}
}

// randomID is 32 bytes from crypto/rand, base64url: 43 characters.
func randomID() string {
	var b [32]byte
	rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (t *loginTable) addLink(_ context.Context, l connectLink) (string, time.Time, loginProblem) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.links) >= t.max {
		for id, x := range t.links {
			if !now.Before(x.expires) {
				delete(t.links, id)
			}
		}
		if len(t.links) >= t.max {
			return "", time.Time{}, loginFull
		}
	}
	id := randomID()
	l.expires = now.Add(ConnectLinkTTL)
	t.links[id] = &l
	return id, l.expires, loginOK
}

// loginProblem is why a link or state was refused: unknown, used or lapsed.
type loginProblem int

const (
	loginOK loginProblem = iota
	loginUnknown
	loginUsed
	loginExpired
	loginFull
	loginUnavailable // the shared store did not answer
)

func (t *loginTable) takeLink(_ context.Context, id string) (connectLink, loginProblem) {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.links[id]
	switch {
	case l == nil:
		return connectLink{}, loginUnknown
	case l.used:
		return connectLink{}, loginUsed
	case !t.now().Before(l.expires):
		delete(t.links, id)
		return connectLink{}, loginExpired
	}
	l.used = true
	return *l, loginOK
}

func (t *loginTable) addState(_ context.Context, st loginState) (string, loginProblem) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	if len(t.states) >= t.max {
		for id, x := range t.states {
			if !now.Before(x.expires) {
				delete(t.states, id)
			}
		}
		if len(t.states) >= t.max {
			return "", loginFull
		}
	}
	id := randomID()
	st.expires = now.Add(LoginStateTTL)
	t.states[id] = &st
	return id, loginOK
}

func (t *loginTable) takeState(_ context.Context, state string, nonce func(*loginState) bool) (loginState, loginProblem, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.states[state]
	switch {
	case st == nil:
		return loginState{}, loginUnknown, false
	case st.used:
		return loginState{}, loginUsed, false
	case !t.now().Before(st.expires):
		delete(t.states, state)
		return loginState{}, loginExpired, false
	case !nonce(st):
		return loginState{link: st.link}, loginOK, false // who it was for, for the audit
	}
	st.used = true
	return *st, loginOK, true
}
