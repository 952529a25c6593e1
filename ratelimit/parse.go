package ratelimit

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxCount is the largest count Parse accepts, as the number of a rate
// or as its burst.
const MaxCount = 1_000_000_000

// Parse reads "10/s", "600/m burst 20", "1000/h" or "0.5/s": a positive
// decimal number of requests per second, minute or hour, optionally
// followed by "burst" and a positive whole number. Without a burst it is
// the number itself for "/s" and the per-second rate (at least 1) for
// "/m" and "/h". Empty (or only spaces) is no limit: the zero Rate. The
// errors quote s and say what is wrong with it.
func Parse(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Rate{}, nil
	}
	fields := strings.Fields(s)
	if len(fields) != 1 && (len(fields) != 3 || fields[1] != "burst") {
		return Rate{}, fmt.Errorf("%q is not a rate", s)
	}
	num, per, ok := strings.Cut(fields[0], "/")
	if !ok {
		return Rate{}, fmt.Errorf("%q is not a rate", s)
	}
	n, err := parseCount(num)
	if err != nil {
		return Rate{}, fmt.Errorf("%q: %v", s, err)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[per]
	if unit == 0 {
		return Rate{}, fmt.Errorf("%q: the unit must be s, m or h", s)
	}
	r := Rate{PerSecond: n / unit.Seconds(), Burst: max(int(n), 1)}
	if unit != time.Second {
		r.Burst = max(int(r.PerSecond), 1)
	}
	if len(fields) == 3 {
		b, err := strconv.Atoi(fields[2])
		if err != nil || b < 1 || b > MaxCount {
			return Rate{}, fmt.Errorf("%q: burst must be a whole number from 1 to %d", s, MaxCount)
		}
		r.Burst = b
	}
	return r, nil
}

// parseCount reads a positive decimal number no larger than MaxCount:
// digits with an optional fraction or exponent, nothing else (no sign,
// hexadecimal, underscores, infinity or NaN).
func parseCount(num string) (float64, error) {
	if num == "" || strings.Trim(num, "0123456789.eE+-") != "" || strings.HasPrefix(num, "+") || strings.HasPrefix(num, "-") {
		return 0, fmt.Errorf("%q is not a positive number", num)
	}
	n, err := strconv.ParseFloat(num, 64)
	if err != nil || !(n > 0) {
		return 0, fmt.Errorf("%q is not a positive number", num)
	}
	if n > MaxCount {
		return 0, fmt.Errorf("%q is more than %d", num, MaxCount)
	}
	return n, nil
}
