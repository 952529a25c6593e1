package server

import (
	"net/http"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/policy"
)

// recentSize is how many denials and errors /status keeps.
const recentSize = 50

// maxRecentPath bounds the path kept per event.
const maxRecentPath = 120

// Event is one recent denial or error, as /status.json shows it: never a
// token, key or session.
type Event struct {
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"` // "denied" or "error"
	Code   string    `json:"code"`
	Status int       `json:"status,omitempty"`
	App    string    `json:"app,omitempty"`
	Policy string    `json:"policy,omitempty"`
	Client string    `json:"client,omitempty"`
	IP     string    `json:"ip,omitempty"`
	Path   string    `json:"path,omitempty"`
}

// recentRing keeps the last n events; older ones are overwritten.
type recentRing struct {
	mu   sync.Mutex
	buf  []Event
	next int
	full bool
}

func newRecentRing(n int) *recentRing { return &recentRing{buf: make([]Event, n)} }

func (g *recentRing) add(e Event) {
	if len(e.Path) > maxRecentPath {
		e.Path = e.Path[:maxRecentPath] + "…"
	}
	g.mu.Lock()
	g.buf[g.next] = e
	g.next++
	if g.next == len(g.buf) {
		g.next, g.full = 0, true
	}
	g.mu.Unlock()
}

// list returns the events, newest first.
func (g *recentRing) list() []Event {
	g.mu.Lock()
	defer g.mu.Unlock()
	n := g.next
	if g.full {
		n = len(g.buf)
	}
	out := make([]Event, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, g.buf[(g.next-i+len(g.buf))%len(g.buf)])
	}
	return out
}

// noteDenied counts and keeps a refusal by a rule.
func (s *Server) noteDenied(r *http.Request, c *caller, d *policy.Denied) {
	e := Event{Time: time.Now(), Kind: "denied", Code: d.Code, Status: d.Status, Path: r.URL.Path}
	if c != nil {
		e.Policy, e.Client, e.IP = c.policyName(), c.client, c.ip
	}
	s.met.Denied(e.Policy, d.Code)
	s.recent.add(e)
}

// noteMintError keeps a failed mint, once its answer is written.
func (s *Server) noteMintError(w *statusWriter, r *http.Request, app string) {
	s.recent.add(Event{Time: time.Now(), Kind: "error", Code: w.Header().Get(ErrorHeader), Status: w.status, App: app, Path: r.URL.Path})
}

// statusWriter remembers the status of an error answer.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
