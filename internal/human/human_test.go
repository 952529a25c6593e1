package human

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0 s"},
		{45 * time.Second, "45 s"},
		{-45 * time.Second, "45 s"},
		{14*time.Minute + 10*time.Second, "14 min"},
		{90 * time.Minute, "90 min"},
		{3 * time.Hour, "3 h"},
		{30 * 24 * time.Hour, "30 days"},
	}
	for _, tt := range tests {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

func TestRelativeAndExpiry(t *testing.T) {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	if got := Relative(now.Add(14*time.Minute), now); got != "in 14 min" {
		t.Errorf("Relative future = %q", got)
	}
	if got := Relative(now.Add(-3*time.Hour), now); got != "3 h ago" {
		t.Errorf("Relative past = %q", got)
	}
	if got := Relative(now, now); got != "now" {
		t.Errorf("Relative now = %q", got)
	}
	if got := Expiry(now.Add(14*time.Minute), now); got != "expires in 14 min" {
		t.Errorf("Expiry future = %q", got)
	}
	if got := Expiry(now.Add(-3*time.Hour), now); got != "expired 3 h ago" {
		t.Errorf("Expiry past = %q", got)
	}
}
