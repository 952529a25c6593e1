package server

import (
	"net/http"
	"time"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/meter"
	"github.com/cozeauth/cozeauth/policy"
)

// handleToken answers POST /, POST /token and GET /callback with
// {"access_token","expires_in","token_type"} (see renderAnswer).
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	var req broker.Request
	var cv caller // on the stack
	c := &cv
	outcome := meter.Denied
	defer func() { s.meterToken(w, c, req.App, outcome) }()
	if !s.admit(w, r, c) {
		return
	}
	if c.policy != nil && c.policy.GatewayOnly {
		s.deny(w, r, c, &policy.Denied{Status: http.StatusForbidden, Code: "raw_token_not_allowed",
			Msg: "policy " + c.policy.Name + " is gateway-only: call the Coze API through this server's gateway, which enforces the policy; a raw token would carry the app's full permissions"})
		return
	}
	in, sctx, perr := parseTokenRequest(w, r)
	if perr != nil {
		outcome = meter.Error
		writeError(w, perr.status, perr.code, perr.msg, nil)
		return
	}
	req, denied := s.decide(c, in, sctx)
	if denied != nil {
		s.deny(w, r, c, denied)
		return
	}
	if app, _ := c.gen.cfg.App(req.App); app != nil && app.Kind == config.KindPAT && (c.policy == nil || !c.policy.HandOutPAT) {
		s.deny(w, r, c, &policy.Denied{Status: http.StatusForbidden, Code: "pat_not_handed_out",
			Msg: "app " + req.App + " holds a personal access token, which the token API never hands out: call the Coze API through this server's gateway (or give the caller's policy hand_out_pat: true)"})
		return
	}
	now := time.Now() // one reading for the broker and the audit line
	tok, out, err := s.broker.TokenAt(r.Context(), req, now)
	if err != nil {
		outcome = meter.Error
		s.writeMintError(w, r, req.App, err)
		return
	}
	outcome = meter.Mint
	if out == broker.Hit {
		outcome = meter.Hit
	}
	an := s.answers.get(tok)
	s.audit(now, c, req, out, an)
	h := w.Header()
	h["Content-Type"] = jsonCT
	h["Cache-Control"] = noStore
	h["Date"] = s.dates.at(now)
	_, _ = w.Write(an.body)
}

var (
	varyOrigin = []string{"Origin"}
	jsonCT     = []string{"application/json"}
	noStore    = []string{"no-store"}
)
