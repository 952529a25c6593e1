package config

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// MaxSessionName is the longest session_name accepted, in bytes.
const MaxSessionName = 256

// ValidSessionName checks a session_name: valid UTF-8, at most 256 bytes,
// no control characters.
func ValidSessionName(s string) error {
	if len(s) > MaxSessionName {
		return fmt.Errorf("session name is %d bytes: at most %d", len(s), MaxSessionName)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("session name is not valid UTF-8")
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("session name contains a control character (%U)", r)
		}
	}
	return nil
}
