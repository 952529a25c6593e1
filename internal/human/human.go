package human

import (
	"fmt"
	"time"
)

// Duration renders d (its absolute value) roughly: "45 s", "14 min",
// "3 h", "30 days".
func Duration(d time.Duration) string {
	if d < 0 {
		d = -d
	}
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < 2*time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%d h", int(d.Round(time.Hour)/time.Hour))
	}
	return fmt.Sprintf("%d days", int(d.Round(24*time.Hour)/(24*time.Hour)))
}

// Relative renders t against now: "in 14 min", "3 h ago" or "now" (within
// a second).
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	switch {
	case d > -time.Second && d < time.Second:
		return "now"
	case d > 0:
		return "in " + Duration(d)
	}
	return Duration(d) + " ago"
}

// Expiry renders an expiry time t against now: "expires in 14 min" or
// "expired 3 h ago".
func Expiry(t, now time.Time) string {
	if t.After(now) {
		return "expires in " + Duration(t.Sub(now))
	}
	return "expired " + Duration(now.Sub(t)) + " ago"
}

// Date renders t as a local date and time with its zone, e.g.
// "2026-01-01 16:00:00 CST".
func Date(t time.Time) string { return t.Local().Format("2006-01-02 15:04:05 MST") }
