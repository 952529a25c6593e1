package config_test

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

func TestValidSessionName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		ok   bool
		msg  string
	}{
		{"empty", "", true, ""},
		{"plain", "user-42", true, ""},
		{"256 bytes", strings.Repeat("a", 256), true, ""},
		{"257 bytes", strings.Repeat("a", 257), false, "257 bytes"},
		{"Chinese", "用户张三", true, ""},
		{"Chinese at the limit", strings.Repeat("张", 85) + "a", true, ""},       // 85*3+1 = 256 bytes
		{"Chinese over the limit", strings.Repeat("张", 86), false, "258 bytes"}, // 86 characters, 258 bytes
		{"emoji and spaces", "小明 🙂 device 1", true, ""},
		{"carriage return", "a\rb", false, "control character"},
		{"newline", "a\nb", false, "control character"},
		{"NUL", "a\x00b", false, "control character"},
		{"tab", "a\tb", false, "control character"},
		{"DEL", "a\x7fb", false, "control character"},
		{"C1 control", "a\u0085b", false, "control character"},
		{"invalid UTF-8", "a\xffb", false, "UTF-8"},
		{"truncated UTF-8", "张"[:2], false, "UTF-8"},
	}
	for _, tt := range tests {
		err := config.ValidSessionName(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%s: ValidSessionName = %v, want ok=%v", tt.name, err, tt.ok)
			continue
		}
		if err != nil && !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: error %q does not contain %q", tt.name, err, tt.msg)
		}
	}
	if config.MaxSessionName != 256 {
		t.Errorf("MaxSessionName = %d", config.MaxSessionName)
	}
}
