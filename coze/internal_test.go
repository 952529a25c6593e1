package coze

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestBackoffDelayBounds(t *testing.T) {
	tests := []struct {
		name string
		b    Backoff
		// ceilings for attempts 0, 1, 2, ...
		ceil []time.Duration
	}{
		{"defaults", Backoff{}, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond, 3200 * time.Millisecond, 5 * time.Second, 5 * time.Second, 5 * time.Second}},
		{"small", Backoff{Base: time.Millisecond, Max: 5 * time.Millisecond}, []time.Duration{time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond, 5 * time.Millisecond, 5 * time.Millisecond}},
		{"base above max", Backoff{Base: time.Second, Max: 100 * time.Millisecond}, []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}},
		{"one nanosecond", Backoff{Base: 1, Max: 1}, []time.Duration{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i, ceil := range tt.ceil {
				lo, hi := ceil/2, ceil
				minSeen, maxSeen := time.Duration(1<<62), time.Duration(0)
				for range 2000 {
					d := tt.b.delay(i)
					if d < lo || d > hi {
						t.Fatalf("delay(%d) = %v, want in [%v, %v]", i, d, lo, hi)
					}
					minSeen, maxSeen = min(minSeen, d), max(maxSeen, d)
				}
				// Jitter: 2000 draws from a wide range are not all equal.
				if hi-lo > 1000 && minSeen == maxSeen {
					t.Errorf("delay(%d) always %v: no jitter", i, minSeen)
				}
			}
		})
	}
	// A large attempt number stays at the ceiling and does not overflow.
	b := Backoff{Base: time.Second, Max: time.Minute}
	for _, i := range []int{62, 63, 64, 1000, 1 << 30} {
		if d := b.delay(i); d < 30*time.Second || d > time.Minute {
			t.Errorf("delay(%d) = %v, want in [30s, 1m]", i, d)
		}
	}
	// Nor does it with no practical ceiling: doubling must not wrap.
	huge := Backoff{Base: time.Second, Max: time.Duration(math.MaxInt64)}
	for _, i := range []int{30, 33, 34, 40, 100} {
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Errorf("delay(%d) with Max=MaxInt64 panicked: %v", i, r)
				}
			}()
			if d := huge.delay(i); d <= 0 {
				t.Errorf("delay(%d) with Max=MaxInt64 = %v, want positive", i, d)
			}
		}()
	}
}

func TestBackoffDefaults(t *testing.T) {
	tests := []struct {
		b        Backoff
		attempts int
		max      time.Duration
	}{
		{Backoff{}, DefaultAttempts, 5 * time.Second},
		{Backoff{Attempts: -1, Max: -1}, DefaultAttempts, 5 * time.Second},
		{Backoff{Attempts: 1}, 1, 5 * time.Second},
		{Backoff{Attempts: 7, Max: time.Second}, 7, time.Second},
	}
	for _, tt := range tests {
		if got := tt.b.attempts(); got != tt.attempts {
			t.Errorf("%+v.attempts() = %d, want %d", tt.b, got, tt.attempts)
		}
		if got := tt.b.max(); got != tt.max {
			t.Errorf("%+v.max() = %v, want %v", tt.b, got, tt.max)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	future := time.Now().Add(20 * time.Second).UTC().Format(http.TimeFormat)
	farFuture := time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)
	past := time.Now().Add(-time.Hour).UTC().Format(http.TimeFormat)
	tests := []struct {
		in       string
		min, max time.Duration
	}{
		{"", 0, 0},
		{"0", 0, 0},
		{"1", time.Second, time.Second},
		{"30", 30 * time.Second, 30 * time.Second},
		{"3600", maxRetryAfter, maxRetryAfter}, // capped
		{"-5", 0, 0},
		{"soon", 0, 0},
		{future, 15 * time.Second, 20 * time.Second},
		{farFuture, maxRetryAfter, maxRetryAfter},
		{past, 0, 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in); got < tt.min || got > tt.max {
			t.Errorf("parseRetryAfter(%q) = %v, want in [%v, %v]", tt.in, got, tt.min, tt.max)
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://api.coze.cn/api/permission/oauth2/token", "https://api.coze.cn/api/permission/oauth2/token"},
		{"https://user:secret@api.coze.cn/api/permission/oauth2/token?sig=abc#frag", "https://api.coze.cn/api/permission/oauth2/token"},
		{"http://127.0.0.1:8080/x", "http://127.0.0.1:8080/x"},
		{"http://[::1:bad", "(invalid URL)"},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestIsTimeout(t *testing.T) {
	tests := []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), true},
		{os.ErrDeadlineExceeded, true},
		{context.Canceled, false},
		{errors.New("connection refused"), false},
	}
	for _, tt := range tests {
		if got := isTimeout(tt.err); got != tt.want {
			t.Errorf("isTimeout(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}
