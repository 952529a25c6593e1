package coze

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrDeviceCodeExpired is PollDevice's error when the device code's
// lifetime ran out before the person approved. IsExpiredToken is true for
// it.
var ErrDeviceCodeExpired = errors.New("the device code expired before the login was approved: start the login again")

// SlowDownStep is what each slow_down adds to the polling interval.
const SlowDownStep = 5 * time.Second

// maxPollFailures is how many temporary failures in a row (Coze
// unreachable, 5xx, 429) a device login survives before giving up.
const maxPollFailures = 3

// DevicePoll is a device login to poll until it ends.
type DevicePoll struct {
	TokenURL string               // from TokenURL
	ClientID string               // the app's client id
	Device   *DeviceAuthorization // from DeviceCode: the code, its expiry and the interval
}

// PollDevice polls the token endpoint with p.Device's code until the
// person approves (the token, with its refresh token), refuses
// (IsAccessDenied), the code expires (IsExpiredToken: Coze said
// expired_token, or ErrDeviceCodeExpired once Device.ExpiresAt passes), or
// ctx ends (an error wrapping ctx's cause).
//
// It waits Device.Interval (at least a second) before each poll, adds
// SlowDownStep to the interval on every slow_down, and honours a longer
// Retry-After. Two temporary failures in a row (Coze unreachable, 5xx,
// 429) are polled through, a third ends the login with its error, as does
// any other refusal. It holds no
// lock and returns promptly when ctx is cancelled.
func (c *Client) PollDevice(ctx context.Context, p DevicePoll) (*Token, error) {
	if p.Device == nil {
		return nil, errors.New("device token poll: no device authorization: call DeviceCode first")
	}
	d := p.Device
	interval := max(d.Interval, time.Second)
	if d.Interval == 0 {
		interval = DefaultDeviceInterval
	}
	wait, fails := interval, 0
	for {
		if !d.ExpiresAt.IsZero() {
			left := time.Until(d.ExpiresAt)
			if left <= 0 {
				return nil, ErrDeviceCodeExpired
			}
			wait = min(wait, left)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("device login stopped before it was approved: %w", context.Cause(ctx))
		case <-t.C:
		}
		if !d.ExpiresAt.IsZero() && !time.Now().Before(d.ExpiresAt) {
			return nil, ErrDeviceCodeExpired
		}
		tok, err := c.DeviceToken(ctx, DeviceTokenRequest{TokenURL: p.TokenURL, ClientID: p.ClientID, DeviceCode: d.DeviceCode})
		switch {
		case err == nil:
			return tok, nil
		case IsPending(err):
			fails = 0
		case IsSlowDown(err):
			fails = 0
			interval = min(interval+SlowDownStep, maxDeviceInterval)
		case ctx.Err() != nil:
			return nil, fmt.Errorf("device login stopped before it was approved: %w", context.Cause(ctx))
		case IsTemporary(err) && fails+1 < maxPollFailures:
			fails++
		default:
			return nil, err
		}
		wait = interval
		if ce, ok := AsError(err); ok && ce.RetryAfter > wait {
			wait = ce.RetryAfter
		}
	}
}
