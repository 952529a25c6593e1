package server

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/cozeauth/cozeauth/broker"
)

// errMint marks a failure to get a fresh token during a replay.
var errMint = errors.New("mint for replay")

// retryTransport sends a gateway request and, when Coze answers 401 for a
// token the broker thought valid, drops that token, mints once and sends
// the request once more — only when its body was kept. It never loops.
type retryTransport struct {
	base   http.RoundTripper
	broker *broker.Broker
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	call, _ := req.Context().Value(callKey{}).(*gatewayCall)
	if err != nil || resp.StatusCode != http.StatusUnauthorized || call == nil || !call.replay || call.retried || isWebSocket(req) {
		return resp, err
	}
	call.retried = true
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	ctx := req.Context()
	_ = t.broker.Invalidate(ctx, call.req, call.token)
	tok, _, err := t.broker.Token(ctx, call.req)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errMint, err)
	}
	call.token = tok.AccessToken
	again := req.Clone(ctx)
	again.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	if call.body != nil {
		again.Body = io.NopCloser(bytes.NewReader(call.body))
	} else {
		again.Body = http.NoBody
	}
	return t.base.RoundTrip(again)
}
