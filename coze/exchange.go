package coze

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync/atomic"
	"time"
)

// TokenRequest is one POST to a Coze OAuth endpoint.
type TokenRequest struct {
	URL string // the endpoint, e.g. from TokenURL

	// Bearer, when set, gives the credential for "Authorization: Bearer"
	// (a JWT assertion, a web app's client secret). It is called once per
	// attempt, so an assertion can be signed afresh each time; "" sends no
	// Authorization.
	Bearer func() (string, error)

	Body any // encoded as JSON

	// Idempotent says that sending the request twice does no harm: a JWT
	// exchange (each attempt signs a new assertion), a device-code request,
	// a device poll. Leave it false for a request that spends a one-time
	// credential (an authorization code, a refresh token).
	Idempotent bool
}

// Exchange posts r.Body as JSON to r.URL and reads the token Coze answers.
//
// Which failures are tried again, with the client's Backoff:
//
//   - A request that provably never left this machine (DNS failure,
//     connection refused, no route: no connection was ever made) is tried
//     again, whatever the grant.
//   - An idempotent request (r.Idempotent) is also tried again after a
//     dropped connection, a timeout, a 5xx or a 429. A Retry-After longer
//     than the Backoff's Max is not waited for.
//   - A request that is not idempotent is never sent again once it may
//     have reached Coze: not after a timeout, a reset, a 5xx or a 429. A
//     refresh token that Coze redeemed and rotated before its answer was
//     lost would be refused if sent again (invalid_grant), and the grant
//     would be lost; the caller decides instead, knowing the outcome is
//     unknown (an *UnreachableError with NotSent false, or a Temporary
//     *Error).
//
// Any other answer returns at once: Coze's refusal as *Error, a missing
// answer as *UnreachableError. Redirects are not followed (a 3xx is an
// *Error), so a body carrying a code or a refresh token never goes
// anywhere but r.URL. A token is returned only when it is safe to send as
// a header and expires in the future, within Coze's longest grant.
//
// One exception keeps a rotated grant from being lost: when a request that
// is not idempotent gets an HTTP 200 that is refused as malformed (say, an
// expiry this machine's clock cannot believe) but carries a well-formed
// refresh_token, Exchange returns that error together with a Token holding
// only the RefreshToken (no AccessToken). Coze has spent the old
// credential; store the new one.
func (c *Client) Exchange(ctx context.Context, r TokenRequest) (*Token, error) {
	if r.Idempotent {
		return send(ctx, c, r, parseTokenResponse)
	}
	return send(ctx, c, r, parseSpendingResponse)
}

// send is Exchange for any answer: parse reads the body of each response.
func send[T any](ctx context.Context, c *Client, r TokenRequest, parse func(*http.Response, []byte) (T, error)) (T, error) {
	var zero T
	payload, err := json.Marshal(r.Body)
	if err != nil {
		return zero, fmt.Errorf("encode the request to %s: %w", redactURL(r.URL), err)
	}
	attempts := c.Retry.attempts()
	for i := 0; ; i++ {
		v, err := once(ctx, c, r, payload, parse)
		if err == nil || i+1 >= attempts || !mayRetry(r, err) {
			return v, err
		}
		wait := c.Retry.delay(i)
		if ce, ok := AsError(err); ok && ce.RetryAfter > 0 {
			if ce.RetryAfter > c.Retry.max() {
				return zero, err // pass Coze's Retry-After on rather than hold the caller
			}
			wait = ce.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return zero, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return zero, err
		case <-t.C:
		}
	}
}

// mayRetry applies Exchange's retry rule to the error of one attempt.
func mayRetry(r TokenRequest, err error) bool {
	var ue *UnreachableError
	if errors.As(err, &ue) && ue.NotSent {
		return true
	}
	if !r.Idempotent {
		return false
	}
	if ce, ok := AsError(err); ok {
		return ce.Temporary()
	}
	return ue != nil
}

func once[T any](ctx context.Context, c *Client, r TokenRequest, payload []byte, parse func(*http.Response, []byte) (T, error)) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, c.timeout())
	defer cancel()
	// A connection handed to this request is where "provably not sent"
	// ends: from then on the request may be on the wire.
	var connected atomic.Bool
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { connected.Store(true) },
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(payload))
	if err != nil {
		return zero, fmt.Errorf("the endpoint URL is not a valid URL (%w): check the configured API base", stripURL(err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if r.Bearer != nil {
		b, err := r.Bearer()
		if err != nil {
			return zero, err
		}
		if b != "" {
			SetBearer(req.Header, b)
		}
	}
	hc := *c.httpClient()
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := hc.Do(req)
	if err != nil {
		return zero, &UnreachableError{URL: redactURL(r.URL), Timeout: isTimeout(err),
			NotSent: !connected.Load() && beforeConnection(err), Err: stripURL(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return zero, &UnreachableError{URL: redactURL(r.URL), Timeout: isTimeout(err), Err: err}
	}
	return parse(resp, data)
}

// beforeConnection reports whether err is a failure to make a connection
// at all: a DNS failure or a refused or unroutable dial, directly or
// through a proxy. A timeout while dialing is not counted: a custom
// transport might have sent something first.
func beforeConnection(err error) bool {
	if isTimeout(err) {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && (op.Op == "dial" || op.Op == "proxyconnect")
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	var secs int
	if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs >= 0 {
		return min(time.Duration(secs)*time.Second, maxRetryAfter)
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(time.Until(t), 0), maxRetryAfter)
	}
	return 0
}

const maxRetryAfter = 60 * time.Second

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// stripURL drops the *url.Error wrapper so the URL is printed once.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL keeps scheme, host and path: never query strings or user info.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}
