package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cozeauth/cozeauth/policy"
)

// ParseRate reads "10/s", "600/m burst 20", "1000/h". Empty is no limit.
func ParseRate(s string) (policy.Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return policy.Rate{}, nil
	}
	fields := strings.Fields(s)
	if len(fields) != 1 && (len(fields) != 3 || fields[1] != "burst") {
		return policy.Rate{}, fmt.Errorf("%q is not a rate", s)
	}
	num, per, ok := strings.Cut(fields[0], "/")
	n, err := strconv.ParseFloat(num, 64)
	if !ok || err != nil || n <= 0 {
		return policy.Rate{}, fmt.Errorf("%q is not a rate", s)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour}[per]
	if unit == 0 {
		return policy.Rate{}, fmt.Errorf("%q: the unit must be s, m or h", s)
	}
	r := policy.Rate{PerSecond: n / unit.Seconds(), Burst: max(int(n), 1)}
	if unit != time.Second {
		r.Burst = max(int(r.PerSecond), 1)
	}
	if len(fields) == 3 {
		b, err := strconv.Atoi(fields[2])
		if err != nil || b < 1 {
			return policy.Rate{}, fmt.Errorf("%q: burst must be a positive whole number", s)
		}
		r.Burst = b
	}
	return r, nil
}
