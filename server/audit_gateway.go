package server

import (
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/cozeauth/cozeauth/broker"
)

// gatewayRecord is what one gateway call's audit line says, filled in as
// the call goes.
type gatewayRecord struct {
	start    time.Time
	w        *gatewayWriter
	path     string
	caller   *caller        // nil until authenticated
	req      broker.Request // zero until decided
	source   string         // how the token was obtained (hit, mint); "" if none was
	complete bool           // the answer was passed on whole
}

// auditGateway writes one structured line per gateway call, refused ones
// included: method, Coze path (no query), status, bytes sent to the
// caller, duration, who (client, policy, address), app and session, and
// whether the answer was cut short; for a refusal, its error code; the
// token's source (hit or mint). Never a token, key or body. A refusal by
// policy also has its own "denied" line with the rule.
func (s *Server) auditGateway(r *http.Request, rec *gatewayRecord) {
	s.meterGateway(rec)
	if s.auditLog == nil {
		return
	}
	var client, pol string
	ip, _, _ := net.SplitHostPort(r.RemoteAddr)
	if c := rec.caller; c != nil {
		client, ip = c.client, c.ip
		if c.policy != nil {
			pol = c.policy.Name
		}
	}
	status := rec.w.status
	if status == 0 {
		status = http.StatusOK
	}
	s.auditLog.LogAttrs(r.Context(), slog.LevelInfo, "gateway",
		slog.String("method", r.Method), slog.String("path", rec.path), slog.Int("status", status),
		slog.Int64("bytes", rec.w.bytes.Load()), slog.Duration("duration", time.Since(rec.start)),
		slog.String("client", client), slog.String("policy", pol), slog.String("ip", ip),
		slog.String("app", rec.req.App), s.sessionAttr(rec.req.Session), slog.String("source", rec.source),
		slog.String("error", rec.w.Header().Get(ErrorHeader)), slog.Bool("complete", rec.complete))
}
