package config

import (
	"errors"
	"strings"
)

// errPlaceholder is what a secret copied from an example still holding its
// placeholder gets.
var errPlaceholder = errors.New("this is the example's placeholder, not a secret: replace it with the output of `openssl rand -hex 32` (or leave the field out for a random secret per process)")

// isPlaceholder reports whether s is a documentation placeholder such as
// "<openssl rand -hex 32>" or "CHANGE-ME", rather than a value.
func isPlaceholder(s string) bool {
	l := strings.ToLower(s)
	return strings.ContainsAny(s, "<>") || strings.Contains(l, "openssl") || strings.Contains(l, "change") && strings.Contains(l, "me") ||
		strings.Contains(l, "replace")
}
