package config

import (
	"errors"
	"strings"
	"testing"
)

func TestRedact(t *testing.T) {
	run := strings.Repeat("Ab3+/", 13) // 65 base64 characters
	tests := []struct {
		in     string
		hidden bool
	}{
		{"", false},
		{"1171234567890", false},
		{"my-bot", false},
		{"https://api.coze.cn/api/permission/oauth2/token", false},
		{"/home/someone/.config/cozeauth/keys/private_key.pem", false},
		{"15m", false},
		{run[:63], false},
		{run[:64], true},
		{"x " + run + " y", true},
		{"-----BEGIN PRIVATE KEY-----", true},
		{"-----BEGIN RSA PRIVATE KEY-----\\nMIIB", true},
		{"czs_" + strings.Repeat("a1B2", 20), true}, // a long token is hidden too
		{"pat_Ab12Cd34", true},                      // a short Coze token too
		{"key pat_Ab12Cd34 in a sentence", true},
		{"sat_Ab12-Cd34", true},
		{"pat_short", false},
		{"apps[0].token_file", false},
		{"https://auth.example.com/oauth/callback", false},
	}
	for _, tt := range tests {
		got := redact(tt.in)
		if (got != tt.in) != tt.hidden || (tt.hidden && got != hiddenValue) {
			t.Errorf("redact(%.40q) = %q, want hidden=%v", tt.in, got, tt.hidden)
		}
	}
}

func TestAddRedactsArguments(t *testing.T) {
	e := &errs{source: "test"}
	secret := strings.Repeat("QUJD", 20)
	e.add("f", "fix", "%q and %v and %d", secret, errors.New("open "+secret+": no such file"), 7)
	e.add("g", "", "%v", errors.New(`private key is not PEM: expected "-----BEGIN PRIVATE KEY-----"`))
	msg := e.err().Error()
	if strings.Contains(msg, secret) {
		t.Errorf("message leaks the secret: %s", msg)
	}
	if !strings.Contains(msg, "and 7") || strings.Count(msg, hiddenValue) != 2 {
		t.Errorf("message = %s", msg)
	}
	// Our own advice naming the PEM armour is kept.
	if !strings.Contains(msg, "-----BEGIN PRIVATE KEY-----") {
		t.Errorf("advice lost: %s", msg)
	}
}
