package meter

import (
	"errors"
	"fmt"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

// TestCozeCodeBounded: Coze's error_code becomes a label from a fixed
// set whatever Coze answers.
func TestCozeCodeBounded(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&coze.Error{Status: 401, Code: coze.CodeInvalidClient}, "invalid_client"},
		{fmt.Errorf("mint: %w", &coze.Error{Status: 400, Code: coze.CodeInvalidGrant}), "invalid_grant"},
		{&coze.Error{Status: 400, Code: "sk-live-made-up-" + "x"}, "other"},
		{&coze.Error{Status: 502}, "none"},
		{&coze.UnreachableError{URL: "https://api.coze.cn", Err: errors.New("refused")}, ""},
		{errors.New("throttled"), ""},
	} {
		if got := CozeCode(c.err); got != c.want {
			t.Errorf("CozeCode(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{101: "1xx", 200: "2xx", 304: "3xx", 429: "4xx", 503: "5xx", 0: "other", 999: "other"} {
		if got := StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestOr(t *testing.T) {
	if _, ok := Or(nil).(Nop); !ok {
		t.Fatal("Or(nil) is not Nop")
	}
	var m Meter = Nop{}
	if Or(m) != m {
		t.Fatal("Or changed a meter")
	}
}
