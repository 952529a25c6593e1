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
	"net/url"
	"time"
)

// Defaults for Client.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultAttempts = 3
	maxBody         = 1 << 20
)

// Client exchanges grants at Coze's token endpoint. The zero value is ready
// to use; it is safe for concurrent use.
type Client struct {
	HTTP      *http.Client  // nil: a client with sane timeouts
	Timeout   time.Duration // per attempt; DefaultTimeout when zero
	Retry     Backoff       // retries on network errors, 5xx and 429
	UserAgent string
}

var defaultHTTP = &http.Client{Transport: &http.Transport{
	Proxy:                 http.ProxyFromEnvironment,
	DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
	TLSHandshakeTimeout:   5 * time.Second,
	ResponseHeaderTimeout: 15 * time.Second,
	MaxIdleConnsPerHost:   64,
	IdleConnTimeout:       90 * time.Second,
	ForceAttemptHTTP2:     true,
}}

// TokenURL is the token endpoint under apiBase: the plain one, or the
// account or enterprise variant when accountID or enterpriseID is set.
func TokenURL(apiBase, accountID, enterpriseID string) string {
	switch {
	case accountID != "":
		return apiBase + "/api/permission/oauth2/account/" + url.PathEscape(accountID) + "/token"
	case enterpriseID != "":
		return apiBase + "/api/permission/oauth2/enterprise_id/" + url.PathEscape(enterpriseID) + "/token"
	}
	return apiBase + "/api/permission/oauth2/token"
}

// GrantJWT is the grant_type of a JWT app's exchange.
const GrantJWT = "urn:ietf:params:oauth:grant-type:jwt-bearer"

// JWTRequest is one JWT-app token request.
type JWTRequest struct {
	TokenURL        string // from TokenURL
	DurationSeconds int    // 1..86399; 900 when zero
	Scope           *Scope
	Claims          Claims
}

// JWTToken signs a fresh assertion and exchanges it for an access token.
// Each attempt signs anew, since Coze refuses a reused jti.
func (c *Client) JWTToken(ctx context.Context, s *Signer, r JWTRequest) (*Token, error) {
	dur := r.DurationSeconds
	if dur == 0 {
		dur = DefaultDuration
	}
	if err := ValidDuration(dur); err != nil {
		return nil, err
	}
	body := struct {
		GrantType string `json:"grant_type"`
		Duration  int    `json:"duration_seconds"`
		ClientID  string `json:"client_id,omitempty"`
		Scope     *Scope `json:"scope,omitempty"`
	}{GrantJWT, dur, s.ClientID, r.Scope}
	authz := func() (string, error) { return s.Sign(time.Now(), r.Claims) }
	return c.Exchange(ctx, r.TokenURL, authz, body)
}

// Duration limits of Coze's duration_seconds.
const (
	DefaultDuration = 900
	MaxDuration     = 86399
)

// ValidDuration checks a duration_seconds value.
func ValidDuration(d int) error {
	if d < 1 || d > MaxDuration {
		return fmt.Errorf("duration_seconds %d is out of range: use 1..%d (default %d)", d, MaxDuration, DefaultDuration)
	}
	return nil
}

// Exchange posts body as JSON to tokenURL with "Authorization: Bearer"
// from bearer (called once per attempt; nil or "" sends none), retrying
// network errors, 5xx and 429 with backoff. Other 4xx answers return at
// once as *Error; no answer at all returns *UnreachableError.
func (c *Client) Exchange(ctx context.Context, tokenURL string, bearer func() (string, error), body any) (*Token, error) {
	payload, err := json.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("encode token request: %w", err)
	}
	attempts := c.Retry.attempts()
	for i := 0; ; i++ {
		tok, err := c.once(ctx, tokenURL, bearer, payload)
		if err == nil || i+1 >= attempts || !retryable(err) {
			return tok, err
		}
		wait := c.Retry.delay(i)
		if ce, ok := AsError(err); ok && ce.RetryAfter > 0 {
			if ce.RetryAfter > c.Retry.max() {
				return nil, err // pass Coze's Retry-After on rather than hold the caller
			}
			wait = ce.RetryAfter
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, err
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, err
		case <-t.C:
		}
	}
}

func retryable(err error) bool {
	if ce, ok := AsError(err); ok {
		return ce.Temporary()
	}
	var ue *UnreachableError
	return errors.As(err, &ue)
}

func (c *Client) once(ctx context.Context, tokenURL string, bearer func() (string, error), payload []byte) (*Token, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, tokenURL, bytes.NewReader(payload))
	if err != nil {
		return nil, fmt.Errorf("token URL %q: %w", tokenURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.UserAgent != "" {
		req.Header.Set("User-Agent", c.UserAgent)
	}
	if bearer != nil {
		b, err := bearer()
		if err != nil {
			return nil, fmt.Errorf("sign assertion: %w", err)
		}
		if b != "" {
			req.Header.Set("Authorization", "Bearer "+b)
		}
	}
	hc := c.HTTP
	if hc == nil {
		hc = defaultHTTP
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, &UnreachableError{URL: redactURL(tokenURL), Timeout: isTimeout(err), Err: stripURL(err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &UnreachableError{URL: redactURL(tokenURL), Timeout: isTimeout(err), Err: err}
	}
	return parseTokenResponse(resp, data)
}

func orDefault(s, d string) string {
	if s != "" {
		return s
	}
	return d
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
