package coze

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// GrantDeviceCode is the grant_type of a device poll.
const GrantDeviceCode = "urn:ietf:params:oauth:grant-type:device_code"

// DefaultDeviceInterval is the wait between device polls when Coze's
// answer gives none (RFC 8628's default, and Coze's).
const DefaultDeviceInterval = 5 * time.Second

// DeviceCodeRequest starts a device login.
type DeviceCodeRequest struct {
	APIBase     string // e.g. https://api.coze.cn
	ClientID    string
	WorkspaceID string // optional: the workspace variant
}

// DeviceAuthorization is Coze's answer to a device code request, checked:
// every string is bounded visible ASCII (safe to print on a terminal), the
// verification URI is an http(s) URL, the expiry lies ahead and the
// interval is at least a second.
type DeviceAuthorization struct {
	DeviceCode      string        // a secret: whoever holds it may poll for the token
	UserCode        string        // what the person types on the verification page
	VerificationURI string        // the page where the person approves
	ExpiresAt       time.Time     // when the device and user codes stop working
	Interval        time.Duration // the shortest wait between polls; 5 s when Coze gives none
}

// VerificationURL is the page the person opens, with the user code filled
// in: VerificationURI?user_code=<UserCode>.
func (d *DeviceAuthorization) VerificationURL() string {
	u, err := url.Parse(d.VerificationURI)
	if err != nil {
		return d.VerificationURI
	}
	q := u.Query()
	q.Set("user_code", d.UserCode)
	u.RawQuery = q.Encode()
	return u.String()
}

// DeviceCode asks Coze for a device code and a user code: POST
// {api}/api/permission/oauth2/device/code (or the workspace variant) with
// {client_id} and no Authorization. Each request makes a new code, so it
// is retried as idempotent (see Exchange).
func (c *Client) DeviceCode(ctx context.Context, r DeviceCodeRequest) (*DeviceAuthorization, error) {
	const what = "device code request"
	if err := errors.Join(
		required(what, "API base", r.APIBase, "set the app's api_base"),
		required(what, "client_id", r.ClientID, "copy it from the Coze console (OAuth 应用 → 客户端 ID)"),
	); err != nil {
		return nil, err
	}
	body := struct {
		ClientID string `json:"client_id"`
	}{r.ClientID}
	return send(ctx, c, TokenRequest{URL: DeviceCodeURL(r.APIBase, r.WorkspaceID), Body: body, Idempotent: true},
		func(resp *http.Response, data []byte) (*DeviceAuthorization, error) {
			return parseDeviceAnswer(resp.StatusCode, resp.Header, data, time.Now())
		})
}

// DeviceTokenRequest is one poll of a device login.
type DeviceTokenRequest struct {
	TokenURL   string // from TokenURL
	ClientID   string
	DeviceCode string
}

// DeviceToken polls once: POST {grant_type: device_code grant, client_id,
// device_code} with no Authorization. Until the person approves, it fails
// with an *Error for which IsPending or IsSlowDown is true; IsAccessDenied
// and IsExpiredToken end the login. A poll is idempotent and retried as
// such (see Exchange). Use PollDevice to poll until an outcome.
func (c *Client) DeviceToken(ctx context.Context, r DeviceTokenRequest) (*Token, error) {
	const what = "device token poll"
	if err := errors.Join(
		required(what, "token URL", r.TokenURL, "set the app's api_base"),
		required(what, "client_id", r.ClientID, "copy it from the Coze console (OAuth 应用 → 客户端 ID)"),
		sendable(what, "device_code", r.DeviceCode, "use the device code Coze answered as is"),
	); err != nil {
		return nil, err
	}
	body := struct {
		GrantType  string `json:"grant_type"`
		ClientID   string `json:"client_id"`
		DeviceCode string `json:"device_code"`
	}{GrantDeviceCode, r.ClientID, r.DeviceCode}
	tok, err := c.Exchange(ctx, TokenRequest{URL: r.TokenURL, Body: body, Idempotent: true})
	return tok, scrub(err, r.DeviceCode)
}
