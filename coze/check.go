package coze

import (
	"fmt"
	"strings"
)

// required refuses an empty field of a grant request before anything is
// sent. what names the request, field the wire name, fix what to do.
func required(what, field, v, fix string) error {
	if v == "" {
		return fmt.Errorf("%s: %s is empty: %s", what, field, fix)
	}
	return nil
}

// sendable refuses a credential that cannot travel as a header or a JSON
// string Coze would accept: empty, longer than 4096 bytes, or holding
// anything but visible ASCII (a pasted line break, a space). The value is
// never quoted.
func sendable(what, field, v, fix string) error {
	if err := required(what, field, v, fix); err != nil {
		return err
	}
	if !headerSafe(v) {
		return fmt.Errorf("%s: %s has a space, a line break or a character outside visible ASCII, or is longer than %d bytes: %s", what, field, maxTokenLen, fix)
	}
	return nil
}

// minRedact is the shortest secret scrub looks for: shorter ones would
// match innocent words.
const minRedact = 8

// scrub removes secrets a request carried from the text of Coze's refusal,
// should Coze ever echo them, so they cannot reach a log or an error page.
func scrub(err error, secrets ...string) error {
	ce, ok := AsError(err)
	if !ok {
		return err
	}
	for _, s := range secrets {
		if len(s) >= minRedact {
			ce.Code = strings.ReplaceAll(ce.Code, s, "[redacted]")
			ce.Message = strings.ReplaceAll(ce.Message, s, "[redacted]")
		}
	}
	return err
}
