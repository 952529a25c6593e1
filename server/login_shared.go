package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/cozeauth/cozeauth/broker"
)

// SharedLogins keeps the records of logins under way where every replica
// sees them (replica.Logins), so a connect link made by one replica
// opens on another, and Coze's consent page may send the browser back to
// a third. Values hold PKCE verifiers: the store seals them.
type SharedLogins interface {
	// Put stores value under id for ttl.
	Put(ctx context.Context, id string, value []byte, ttl time.Duration) error
	// Get returns what is stored under id (nil when nothing is) and
	// whether id was claimed.
	Get(ctx context.Context, id string) (value []byte, claimed bool, err error)
	// Claim marks id spent for ttl; of all claims of one id, exactly one
	// reports true.
	Claim(ctx context.Context, id string, ttl time.Duration) (bool, error)
}

// lapseGrace is how long a shared record outlives its expiry, so a late
// browser is told "expired" rather than "unknown", and a spent one "used".
const lapseGrace = 10 * time.Minute

// sharedLogins is a loginStore over SharedLogins. It has no bound of its
// own: links are made only for admitted callers, within their policy's
// rate, and every record lapses from the store.
type sharedLogins struct {
	s   SharedLogins
	now func() time.Time
}

// linkRecord and stateRecord are connectLink and loginState as stored.
type linkRecord struct {
	Req      broker.Request `json:"req"`
	ReturnTo string         `json:"return_to,omitempty"`
	Expires  time.Time      `json:"expires"`
}

type stateRecord struct {
	Link        linkRecord `json:"link"`
	Nonce       string     `json:"nonce"`
	Verifier    string     `json:"verifier,omitempty"`
	RedirectURI string     `json:"redirect_uri"`
	Expires     time.Time  `json:"expires"`
}

func (r linkRecord) link() connectLink {
	return connectLink{req: r.Req, returnTo: r.ReturnTo, expires: r.Expires}
}

func recordOf(l connectLink) linkRecord {
	return linkRecord{Req: l.req, ReturnTo: l.returnTo, Expires: l.expires}
}

func (sl *sharedLogins) put(ctx context.Context, id string, v any, expires time.Time) loginProblem {
	b, err := json.Marshal(v)
	if err != nil {
		return loginUnavailable
	}
	if sl.s.Put(ctx, id, b, expires.Sub(sl.now())+lapseGrace) != nil {
		return loginUnavailable
	}
	return loginOK
}

// get reads id into v: loginUnknown when there is no such record,
// loginUsed when it was spent.
func (sl *sharedLogins) get(ctx context.Context, id string, v any) loginProblem {
	b, spent, err := sl.s.Get(ctx, id)
	switch {
	case err != nil:
		return loginUnavailable
	case b == nil || json.Unmarshal(b, v) != nil:
		return loginUnknown
	case spent:
		return loginUsed
	}
	return loginOK
}

// claim spends id: loginUsed when another request (on any replica) did
// since get.
func (sl *sharedLogins) claim(ctx context.Context, id string, expires time.Time) loginProblem {
	won, err := sl.s.Claim(ctx, id, expires.Sub(sl.now())+lapseGrace)
	switch {
	case err != nil:
		return loginUnavailable
	case !won:
		return loginUsed
	}
	return loginOK
}

func (sl *sharedLogins) addLink(ctx context.Context, l connectLink) (string, time.Time, loginProblem) {
	id := randomID()
	l.expires = sl.now().Add(ConnectLinkTTL)
	if p := sl.put(ctx, "link:"+id, recordOf(l), l.expires); p != loginOK {
		return "", time.Time{}, p
	}
	return id, l.expires, loginOK
}

func (sl *sharedLogins) takeLink(ctx context.Context, id string) (connectLink, loginProblem) {
	var r linkRecord
	if p := sl.get(ctx, "link:"+id, &r); p != loginOK {
		return connectLink{}, p
	}
	if !sl.now().Before(r.Expires) {
		return connectLink{}, loginExpired
	}
	if p := sl.claim(ctx, "link:"+id, r.Expires); p != loginOK {
		return connectLink{}, p
	}
	return r.link(), loginOK
}

func (sl *sharedLogins) addState(ctx context.Context, st loginState) (string, loginProblem) {
	id := randomID()
	st.expires = sl.now().Add(LoginStateTTL)
	r := stateRecord{Link: recordOf(st.link), Nonce: st.nonce, Verifier: st.verifier, RedirectURI: st.redirectURI, Expires: st.expires}
	if p := sl.put(ctx, "state:"+id, r, st.expires); p != loginOK {
		return "", p
	}
	return id, loginOK
}

func (sl *sharedLogins) takeState(ctx context.Context, state string, nonce func(*loginState) bool) (loginState, loginProblem, bool) {
	var r stateRecord
	if p := sl.get(ctx, "state:"+state, &r); p != loginOK {
		return loginState{}, p, false
	}
	st := loginState{link: r.Link.link(), nonce: r.Nonce, verifier: r.Verifier, redirectURI: r.RedirectURI, expires: r.Expires}
	if !sl.now().Before(r.Expires) {
		return loginState{}, loginExpired, false
	}
	if !nonce(&st) {
		return loginState{link: st.link}, loginOK, false
	}
	if p := sl.claim(ctx, "state:"+state, r.Expires); p != loginOK {
		return loginState{}, p, false
	}
	return st, loginOK, true
}
