package config

import "github.com/cozeauth/cozeauth/ratelimit"

// ParseRate reads "10/s", "600/m burst 20", "1000/h". Empty is no limit.
// It is ratelimit.Parse.
func ParseRate(s string) (ratelimit.Rate, error) { return ratelimit.Parse(s) }
