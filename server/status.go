package server

import (
	"context"
	_ "embed"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/cozeauth/cozeauth/grant"
	"github.com/cozeauth/cozeauth/internal/version"
)

// The status page: GET /status (HTML), /status.json (what it shows) and
// /status.js (its script), for a caller on this machine or an admin
// client with its key, like /metrics.
const (
	StatusPath     = "/status"
	StatusJSONPath = "/status.json"
	statusJSPath   = "/status.js"
)

// maxWaitingGrants bounds the grants needing login /status.json lists
// one by one (all are counted).
const maxWaitingGrants = 50

var (
	//go:embed statuspage/status.html
	statusHTML []byte
	//go:embed statuspage/status.js
	statusJS []byte
)

// Status is what /status.json answers: the server's state at a glance.
// It holds no token, key or secret; sessions (grant subjects) are written
// as the audit log writes them (hashed with audit.hash_sessions).
type Status struct {
	Version       string       `json:"version"`
	Started       time.Time    `json:"started"`
	UptimeSeconds int64        `json:"uptime_seconds"`
	Now           time.Time    `json:"now"`
	Apps          []AppState   `json:"apps"`
	Cache         CacheState   `json:"cache"`
	Grants        *GrantsState `json:"grants,omitempty"` // nil without a grant store
	Recent        []Event      `json:"recent"`           // newest first, at most 50
}

// AppState is one configured app and its last mint.
type AppState struct {
	Name      string     `json:"name"`
	Kind      string     `json:"kind"`
	Region    string     `json:"region,omitempty"`
	LastMint  *time.Time `json:"last_mint,omitempty"`
	LastError string     `json:"last_error,omitempty"`
	ErrorAt   *time.Time `json:"error_at,omitempty"`
}

// CacheState is the token cache's size and counters.
type CacheState struct {
	Entries  int   `json:"entries"`
	Bytes    int64 `json:"bytes"`
	Owners   int   `json:"owners"`
	Hits     int64 `json:"hits"`
	Mints    int64 `json:"mints"`
	Failures int64 `json:"failures"`
}

// GrantsState counts the stored grants and lists those needing login.
type GrantsState struct {
	Active     int            `json:"active"`
	NeedsLogin int            `json:"needs_login"`
	Waiting    []WaitingGrant `json:"waiting,omitempty"` // needing login, at most 50
	Error      string         `json:"error,omitempty"`   // the store could not be read
}

// WaitingGrant is a grant whose user must log in again.
type WaitingGrant struct {
	App     string    `json:"app"`
	Subject string    `json:"subject"`
	Reason  string    `json:"reason,omitempty"`
	Since   time.Time `json:"since"`
}

// Status returns the server's state as /status.json shows it.
func (s *Server) Status(ctx context.Context) Status {
	now := time.Now()
	st := Status{Version: buildVersion(), Started: s.start, UptimeSeconds: int64(now.Sub(s.start).Seconds()), Now: now,
		Recent: s.recent.list()}
	last := s.broker.Status()
	for _, a := range s.conf().Apps {
		as := AppState{Name: a.Name, Kind: string(a.Kind), Region: string(a.Region)}
		if l, ok := last[a.Name]; ok {
			if !l.LastMint.IsZero() {
				as.LastMint = &l.LastMint
			}
			if l.LastError != "" {
				as.LastError, as.ErrorAt = l.LastError, &l.ErrorAt
			}
		}
		st.Apps = append(st.Apps, as)
	}
	bs := s.broker.Stats()
	st.Cache = CacheState{Entries: bs.Entries, Bytes: bs.Bytes, Owners: bs.Owners, Hits: bs.Hits, Mints: bs.Mints, Failures: bs.Failures}
	if s.grants != nil {
		st.Grants = s.grantsState(ctx)
	}
	return st
}

func (s *Server) grantsState(ctx context.Context) *GrantsState {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	g := &GrantsState{}
	ms, err := s.grants.List(ctx, "")
	if err != nil {
		s.log.Error("status: listing grants", "err", err)
		g.Error = "the grant store could not be read; see the server log"
		return g
	}
	for _, m := range ms {
		if m.State != grant.NeedsLogin {
			g.Active++
			continue
		}
		g.NeedsLogin++
		if len(g.Waiting) < maxWaitingGrants {
			g.Waiting = append(g.Waiting, WaitingGrant{App: m.App, Subject: s.sessionAttr(m.Subject).Value.String(), Reason: m.Reason, Since: m.RefreshedAt})
		}
	}
	slices.SortFunc(g.Waiting, func(a, b WaitingGrant) int { return b.Since.Compare(a.Since) })
	return g
}

// GrantCounts counts the stored grants by state, for metrics; nil
// without a grant store.
func (s *Server) GrantCounts(ctx context.Context) (map[string]int, error) {
	out := map[string]int{string(grant.Active): 0, string(grant.NeedsLogin): 0}
	if s.grants == nil {
		return out, nil
	}
	ms, err := s.grants.List(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.State == grant.NeedsLogin {
			out[string(grant.NeedsLogin)]++
		} else {
			out[string(grant.Active)]++
		}
	}
	return out, nil
}

// buildVersion names this build (internal/version): a release version,
// else the commit ("+modified" when built from uncommitted changes).
func buildVersion() string {
	i := version.Get()
	v := i.Short()
	if i.Modified {
		v += "+modified"
	}
	return v
}

func opsHeaders(w http.ResponseWriter, contentType string) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
}

func (s *Server) handleStatusPage(w http.ResponseWriter, _ *http.Request) {
	opsHeaders(w, "text/html; charset=utf-8")
	_, _ = w.Write(statusHTML)
}

func (s *Server) handleStatusJS(w http.ResponseWriter, _ *http.Request) {
	opsHeaders(w, "text/javascript; charset=utf-8")
	_, _ = w.Write(statusJS)
}

func (s *Server) handleStatusJSON(w http.ResponseWriter, r *http.Request) {
	opsHeaders(w, "application/json")
	_ = json.NewEncoder(w).Encode(s.Status(r.Context()))
}
