package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/internal/logwriter"
	"github.com/cozeauth/cozeauth/policy"
)

// The audit log answers "who got what, and who was refused": one line per
// decision — "token" for a token handed out (or injected by the gateway),
// "denied" for a refusal with the rule (code) that refused it. Lines name
// the client, policy, address and session, never a token or a key: of a
// presented key only its header, length and whether it looked like a
// cozeauth key are written.

// audit writes the line of a token handed out — who, under which policy,
// for which app, session and scope, until when, and whether it was a
// cache hit or a mint — never the token. an is the token's rendered
// answer, where the line's attributes are kept for the next line about
// the same token (see auditTail).
func (s *Server) audit(at time.Time, c *caller, req broker.Request, out broker.Outcome, an *answer) {
	if s.auditLog == nil {
		return
	}
	// Every token handed out writes this line: build it by appending
	// when the handler allows (serve's does), else through slog.
	if h, ok := s.auditLog.Handler().(*logwriter.Handler); ok {
		if l := h.LineAt(at, "token"); l != nil {
			acc := s.access.Load() // sessionAttr's settings
			if t := an.tail.Load(); t != nil && t.matches(acc, c, req, out) {
				l.Append(t.text).Write()
				return
			}
			mark := l.Mark()
			l.Str("client", c.client).Str("policy", c.policyName()).Str("ip", c.ip).
				Str("app", req.App).Str("session", s.sessionAttr(req.Session).Value.String()).
				Str("scope", scopeDigest(req.Scope)).Int("duration", int64(req.Duration)).
				Time("expires", an.tok.ExpiresAt).Str("source", out.String())
			if text := l.Since(mark); text != nil {
				an.tail.Store(&auditTail{acc: acc, client: c.client, policy: c.policyName(), ip: c.ip,
					app: req.App, session: req.Session, scope: req.Scope, duration: req.Duration, out: out, text: text})
			}
			if l.Write() {
				return
			}
		}
	}
	s.auditLog.LogAttrs(context.Background(), slog.LevelInfo, "token",
		slog.String("client", c.client), slog.String("policy", c.policyName()), slog.String("ip", c.ip),
		slog.String("app", req.App), s.sessionAttr(req.Session),
		slog.String("scope", scopeDigest(req.Scope)), slog.Int("duration", req.Duration),
		slog.Time("expires", an.tok.ExpiresAt), slog.String("source", out.String()))
}

// auditTail is the attributes of a token's last audit line, rendered, and
// what they were rendered from. The same caller asking for the same
// token again (a hot session's every cache hit) writes them as they are:
// no session hashing, scope digest or formatting per request. A reload
// (another generation, so perhaps other session hashing) renders anew.
type auditTail struct {
	acc                              *access
	client, policy, ip, app, session string
	scope                            *coze.Scope
	duration                         int
	out                              broker.Outcome
	text                             []byte
}

func (t *auditTail) matches(acc *access, c *caller, req broker.Request, out broker.Outcome) bool {
	return t.acc == acc && t.out == out && t.duration == req.Duration && t.scope == req.Scope &&
		t.client == c.client && t.ip == c.ip && t.app == req.App && t.session == req.Session && t.policy == c.policyName()
}

// deny audits a refusal and answers it. c may be nil or partly filled
// (what was known when the request was refused).
func (s *Server) deny(w http.ResponseWriter, r *http.Request, c *caller, d *policy.Denied) {
	s.noteDenied(r, c, d)
	s.auditDenied(r, c, d)
	writeDenied(w, d)
}

// auditDenied writes the line of a refused request: the rule that refused
// it (code, status), who asked (client, policy, ip) and for what (method,
// path). A presented credential is described by credSummary.LogValue.
func (s *Server) auditDenied(r *http.Request, c *caller, d *policy.Denied) {
	if s.auditLog == nil {
		return
	}
	if c == nil {
		c = &caller{ip: clientIP(r, s.access.Load().trustProxy)}
	}
	attrs := []slog.Attr{slog.String("code", d.Code), slog.Int("status", d.Status),
		slog.String("client", c.client), slog.String("policy", c.policyName()), slog.String("ip", c.ip),
		slog.String("method", r.Method), slog.String("path", r.URL.Path)}
	if c.cred.header != "" {
		attrs = append(attrs, slog.Any("credential", c.cred))
	}
	s.auditLog.LogAttrs(context.Background(), slog.LevelInfo, "denied", attrs...)
}

// LogValue describes a presented credential without any of it: the
// header it came in, its length, and whether it has the cza_ prefix of a
// cozeauth client key.
func (c credSummary) LogValue() slog.Value {
	return slog.GroupValue(slog.String("header", c.header), slog.Int("len", c.length), slog.Bool("cza_prefix", c.czaPrefix))
}

func (c *caller) policyName() string {
	if c.policy == nil {
		return ""
	}
	return c.policy.Name
}

// processSessionKey keys session hashes when audit.session_key is not
// configured: random per process, so that hashes are unlinkable across
// restarts and no one holding only the log can test guesses (a plain
// SHA-256 of "alice" is one guess away).
var processSessionKey = sync.OnceValue(func() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
})

// sessionAttr is the session attribute of an audit line: the session name
// in clear, or with audit.hash_sessions "hmac:" and 24 hex digits of
// HMAC-SHA256 keyed with audit.session_key (stable across restarts and
// replicas: whoever holds the key can find one person's lines) or, when
// none is configured, a random per-process key. Every audit line about a
// session should use it.
func (s *Server) sessionAttr(session string) slog.Attr {
	a := s.edge().Audit
	if !a.HashSessions || session == "" {
		return slog.String("session", session)
	}
	key := a.SessionKey
	if len(key) == 0 {
		key = processSessionKey()
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(session))
	return slog.String("session", "hmac:"+hex.EncodeToString(m.Sum(nil)[:12]))
}

// scopeDigest names a scope without spelling it out: "" for none.
func scopeDigest(s *coze.Scope) string {
	if s == nil {
		return ""
	}
	b, _ := json.Marshal(s)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:6])
}
