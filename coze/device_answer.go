package coze

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Bounds on a device code answer.
const (
	maxUserCodeLen      = 64
	maxVerificationURI  = 2048
	defaultDeviceExpiry = 5 * time.Minute // Coze's documented default
	maxDeviceExpiry     = 24 * time.Hour
	maxDeviceInterval   = 10 * time.Minute
)

type deviceResponse struct {
	DeviceCode      string          `json:"device_code"`
	UserCode        json.RawMessage `json:"user_code"` // a string, though Coze's table says Integer
	VerificationURI string          `json:"verification_uri"`
	ExpiresIn       int64           `json:"expires_in"`
	Interval        int64           `json:"interval"`
}

// parseDeviceAnswer reads a device code answer. A success is fully
// checked (see DeviceAuthorization); anything else is an *Error, with
// Coze's text bounded and cleaned as for token answers. The device code
// never appears in an error.
func parseDeviceAnswer(status int, h http.Header, data []byte, now time.Time) (*DeviceAuthorization, error) {
	if status == http.StatusOK {
		var dr deviceResponse
		if err := json.Unmarshal(data, &dr); err == nil && dr.DeviceCode != "" {
			d, why := checkDevice(&dr, now)
			if why != "" {
				return nil, &Error{Status: http.StatusBadGateway, Code: "malformed_response", Message: why,
					LogID: cleanText(h.Get("X-Tt-Logid"), maxLogIDLen)}
			}
			return d, nil
		}
	}
	return nil, refusal(status, h, data, "HTTP 200 without device_code")
}

// checkDevice turns the wire answer into a DeviceAuthorization, or
// explains why it cannot be used.
func checkDevice(dr *deviceResponse, now time.Time) (*DeviceAuthorization, string) {
	userCode, ok := userCodeText(dr.UserCode)
	switch {
	case !headerSafe(dr.DeviceCode):
		return nil, "device_code is not a bounded run of visible ASCII characters"
	case !ok || len(userCode) > maxUserCodeLen || !headerSafe(userCode):
		return nil, fmt.Sprintf("user_code is not a string or number of at most %d visible ASCII characters", maxUserCodeLen)
	case len(dr.VerificationURI) > maxVerificationURI || !headerSafe(dr.VerificationURI):
		return nil, fmt.Sprintf("verification_uri is not a URL of at most %d visible ASCII characters", maxVerificationURI)
	case dr.ExpiresIn < 0:
		return nil, "expires_in is negative"
	case dr.Interval < 0 || dr.Interval > int64(maxDeviceInterval/time.Second):
		return nil, fmt.Sprintf("interval %d is not between 0 and %d seconds", dr.Interval, int64(maxDeviceInterval/time.Second))
	}
	u, err := url.Parse(dr.VerificationURI)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "verification_uri is not an http(s) URL"
	}
	exp := now.Add(defaultDeviceExpiry)
	if dr.ExpiresIn > 0 {
		exp = expiresAt(dr.ExpiresIn, now) // seconds, as documented; an epoch second read as such
	}
	if !exp.After(now) || exp.After(now.Add(maxDeviceExpiry)) {
		return nil, fmt.Sprintf("expires_in %d does not lie within the next %s: check this machine's clock (cozeauth doctor)", dr.ExpiresIn, maxDeviceExpiry)
	}
	interval := DefaultDeviceInterval
	if dr.Interval > 0 {
		interval = time.Duration(dr.Interval) * time.Second
	}
	return &DeviceAuthorization{
		DeviceCode:      dr.DeviceCode,
		UserCode:        userCode,
		VerificationURI: dr.VerificationURI,
		ExpiresAt:       exp,
		Interval:        interval,
	}, ""
}

// userCodeText reads user_code as a JSON string or a non-negative integer.
func userCodeText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "", false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil || s == "" {
			return "", false
		}
		return s, true
	}
	n, err := strconv.ParseUint(string(raw), 10, 64)
	if err != nil {
		return "", false
	}
	return strconv.FormatUint(n, 10), true
}
