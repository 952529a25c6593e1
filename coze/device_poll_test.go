package coze_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// pollScript answers device polls in memory, one step per poll, and notes
// when each poll came (fake time inside a synctest bubble).
type pollScript struct {
	start time.Time
	steps []string // "pending", "slow", "denied", "expired", "503", "429/<secs>", "ok"
	at    []time.Duration
}

func (s *pollScript) RoundTrip(r *http.Request) (*http.Response, error) {
	s.at = append(s.at, time.Since(s.start))
	step := "pending"
	if n := len(s.at); n <= len(s.steps) {
		step = s.steps[n-1]
	}
	status, body, hdr := 400, "", http.Header{}
	switch {
	case step == "ok":
		// A lifetime, not an epoch second: a bubble's clock starts in 2000.
		status, body = 200, `{"access_token":"czs_dev","expires_in":900,"refresh_token":"rt_dev"}`
	case step == "pending":
		body = `{"error":"authorization_pending"}`
	case step == "slow":
		body = `{"error":"slow_down"}`
	case step == "denied":
		body = `{"error":"access_denied","error_description":"the user refused"}`
	case step == "expired":
		body = `{"error":"expired_token"}`
	case step == "503":
		status, body = 503, `{"error_code":"internal_error"}`
	case strings.HasPrefix(step, "429/"):
		status, body = 429, `{"error_code":"too_many_requests"}`
		hdr.Set("Retry-After", strings.TrimPrefix(step, "429/"))
	}
	hdr.Set("Content-Type", "application/json")
	return &http.Response{StatusCode: status, Header: hdr, Body: io.NopCloser(strings.NewReader(body)), Request: r}, nil
}

func secs(s ...int) []time.Duration {
	var d []time.Duration
	for _, v := range s {
		d = append(d, time.Duration(v)*time.Second)
	}
	return d
}

// TestPollDevice drives PollDevice in fake time: it polls at the interval,
// adds 5 s per slow_down, and stops on approval, refusal, expiry and
// cancellation.
func TestPollDevice(t *testing.T) {
	tests := []struct {
		name    string
		steps   []string
		expires time.Duration // from the start; 0: none
		cancel  time.Duration // cancel the context at; 0: never
		wantAt  []time.Duration
		check   func(error) bool
	}{
		{"approved after two pendings", []string{"pending", "pending", "ok"}, 5 * time.Minute, 0, secs(5, 10, 15), nil},
		{"slow_down adds 5 s each time", []string{"pending", "slow", "pending", "slow", "ok"}, 5 * time.Minute, 0, secs(5, 10, 20, 30, 45), nil},
		{"access_denied stops", []string{"pending", "denied"}, 5 * time.Minute, 0, secs(5, 10), coze.IsAccessDenied},
		{"expired_token stops", []string{"expired"}, 5 * time.Minute, 0, secs(5), coze.IsExpiredToken},
		{"the code's lifetime ends", nil, 12 * time.Second, 0, secs(5, 10), func(err error) bool {
			return errors.Is(err, coze.ErrDeviceCodeExpired) && coze.IsExpiredToken(err)
		}},
		{"cancelled while waiting", nil, 5 * time.Minute, 7 * time.Second, secs(5), func(err error) bool {
			return errors.Is(err, context.Canceled) && strings.Contains(err.Error(), "device login stopped")
		}},
		{"two temporary failures are polled through", []string{"503", "503", "ok"}, 5 * time.Minute, 0, secs(5, 10, 15), nil},
		{"a third in a row ends the login", []string{"503", "pending", "503", "503", "503"}, 5 * time.Minute, 0, secs(5, 10, 15, 20, 25), func(err error) bool {
			ce, ok := coze.AsError(err)
			return ok && ce.Status == 503
		}},
		{"a longer Retry-After is honoured", []string{"429/20", "ok"}, 5 * time.Minute, 0, secs(5, 25), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				script := &pollScript{start: time.Now(), steps: tt.steps}
				c := &coze.Client{HTTP: &http.Client{Transport: script}, Retry: coze.Backoff{Attempts: 1}}
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				if tt.cancel > 0 {
					time.AfterFunc(tt.cancel, cancel)
				}
				d := &coze.DeviceAuthorization{DeviceCode: "dc_1", UserCode: "A", VerificationURI: "https://x/d", Interval: 5 * time.Second}
				if tt.expires > 0 {
					d.ExpiresAt = script.start.Add(tt.expires)
				}
				tok, err := c.PollDevice(ctx, coze.DevicePoll{TokenURL: "https://api.coze.test/api/permission/oauth2/token", ClientID: "45", Device: d})
				if !slices.Equal(script.at, tt.wantAt) {
					t.Errorf("polled at %v, want %v", script.at, tt.wantAt)
				}
				if tt.check == nil {
					if err != nil || tok.AccessToken != "czs_dev" || tok.RefreshToken != "rt_dev" {
						t.Fatalf("PollDevice = %+v, %v; want the token", tok, err)
					}
					return
				}
				if tok != nil || !tt.check(err) {
					t.Fatalf("PollDevice = %+v, %v; want an error of the expected kind", tok, err)
				}
			})
		})
	}
}

// TestPollDeviceDefaultInterval: an authorization without an interval is
// polled every 5 s, never in a tight loop.
func TestPollDeviceDefaultInterval(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		script := &pollScript{start: time.Now(), steps: []string{"pending", "ok"}}
		c := &coze.Client{HTTP: &http.Client{Transport: script}, Retry: coze.Backoff{Attempts: 1}}
		d := &coze.DeviceAuthorization{DeviceCode: "dc_1", ExpiresAt: script.start.Add(time.Minute)}
		if _, err := c.PollDevice(context.Background(), coze.DevicePoll{TokenURL: "https://api.coze.test/t", ClientID: "45", Device: d}); err != nil {
			t.Fatal(err)
		}
		if want := secs(5, 10); !slices.Equal(script.at, want) {
			t.Errorf("polled at %v, want %v", script.at, want)
		}
	})
}
