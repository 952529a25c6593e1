package server

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/credential"
	"github.com/cozeauth/cozeauth/policy"
)

// apiError is the body of every error answer.
type apiError struct {
	Error errorBody `json:"error"`
	// Msg repeats Error.Message where Coze's own SDKs look for it, so an
	// SDK pointed at the gateway shows the reason instead of an empty error.
	Msg string `json:"msg"`
}

type errorBody struct {
	Code          string `json:"code"`
	Message       string `json:"message"`
	CozeErrorCode string `json:"coze_error_code,omitempty"`
	CozeLogID     string `json:"coze_log_id,omitempty"`
}

// ErrorHeader carries the error code of every error answer cozeauth
// itself makes (the same as the body's error.code), so a caller, a proxy
// log or the audit line can tell a refusal from an answer of Coze's
// without reading the body. Coze's own answers never carry it.
const ErrorHeader = "X-Cozeauth-Error"

func writeError(w http.ResponseWriter, status int, code, msg string, ce *coze.Error) {
	body := apiError{Error: errorBody{Code: code, Message: msg}, Msg: msg}
	h := w.Header()
	if ce != nil {
		body.Error.CozeErrorCode, body.Error.CozeLogID = ce.Code, ce.LogID
		if ce.LogID != "" {
			h.Set("X-Tt-Logid", ce.LogID)
		}
	}
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set(ErrorHeader, code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeDenied(w http.ResponseWriter, d *policy.Denied) {
	if d.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(d.RetryAfter.Seconds()+0.999)))
	}
	writeError(w, d.Status, d.Code, d.Msg, nil)
}

// writeMintError maps a broker error to an honest status: 404 unknown app,
// 502 Coze refused, 503 Coze unreachable or busy, 504 too slow.
func (s *Server) writeMintError(w http.ResponseWriter, r *http.Request, app string, err error) {
	sw := &statusWriter{ResponseWriter: w}
	w = sw
	defer s.noteMintError(sw, r, app)
	var ue *coze.UnreachableError
	ce, isCoze := coze.AsError(err)
	var nl *credential.NeedsLogin
	switch {
	case errors.As(err, &nl):
		writeError(w, http.StatusForbidden, "needs_login", nl.Error(), nil)
	case errors.Is(err, broker.ErrThrottled):
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusServiceUnavailable, "mint_rate_limited", err.Error(), nil)
	case errors.Is(err, broker.ErrUnknownApp):
		writeError(w, http.StatusNotFound, "unknown_app", "no app named "+strconv.Quote(app)+" is configured", nil)
	case isCoze && ce.Temporary():
		if ce.RetryAfter > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(int(ce.RetryAfter.Seconds()+0.5)))
		}
		writeError(w, http.StatusServiceUnavailable, "upstream_unavailable", "Coze is unavailable: "+ce.Error(), ce)
	case isCoze:
		writeError(w, http.StatusBadGateway, "coze_refused", ce.Error(), ce)
	case errors.As(err, &ue) && ue.Timeout, errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "upstream_timeout", "Coze did not answer in time; try again", nil)
	case errors.As(err, &ue):
		writeError(w, http.StatusServiceUnavailable, "upstream_unreachable", ue.Error(), nil)
	case errors.Is(err, context.Canceled):
		writeError(w, http.StatusServiceUnavailable, "canceled", "request canceled", nil)
	default:
		s.log.Error("mint failed", "app", app, "err", err)
		writeError(w, http.StatusInternalServerError, "internal", "internal error minting a token; see the server log", nil)
	}
}
