package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cozeauth/cozeauth/broker"
	"github.com/cozeauth/cozeauth/coze"
)

// errMint marks a failure to get a fresh token during a replay.
var errMint = errors.New("mint for replay")

// retryTransport sends a gateway request and handles Coze's 401s. Every
// 401 — replayable or not (large uploads, WebSocket upgrades) — tells
// the broker the token was refused (broker.Invalidate), so a revoked
// token is dropped at once, at most once per retry window for a session.
// The request is sent once more with a fresh token only when its body was
// kept and the broker says a retry may help; otherwise the 401 goes to
// the caller. It never loops.
type retryTransport struct {
	base   http.RoundTripper
	broker *broker.Broker
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	call, _ := req.Context().Value(callKey{}).(*gatewayCall)
	for {
		resp, err := t.base.RoundTrip(req)
		if err != nil || resp.StatusCode != http.StatusUnauthorized || call == nil {
			return resp, err
		}
		ctx := req.Context()
		fresh := t.broker.Invalidate(ctx, call.req, call.token)
		if !fresh || !call.replay || call.retried || isWebSocket(req) {
			return resp, nil
		}
		call.retried = true
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		tok, _, err := t.broker.Token(ctx, call.req)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errMint, err)
		}
		call.token = tok.AccessToken
		again := req.Clone(ctx)
		coze.SetBearer(again.Header, tok.AccessToken)
		if call.body != nil {
			again.Body = io.NopCloser(bytes.NewReader(call.body))
		} else {
			again.Body = http.NoBody
		}
		req = again
	}
}
