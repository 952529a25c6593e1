package main

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/internal/version"
)

// Both spellings print the build information, the same line.
func TestVersionFlagAndCommandAgree(t *testing.T) {
	cmdOut, errOut, code := cli(t, "", "version")
	if code != 0 {
		t.Fatalf("version: exit %d: %s", code, errOut)
	}
	flagOut, errOut, code := cli(t, "", "--version")
	if code != 0 {
		t.Fatalf("--version: exit %d: %s", code, errOut)
	}
	want := version.Get().String() + "\n"
	if cmdOut != want || flagOut != want {
		t.Errorf("version = %q, --version = %q, want %q", cmdOut, flagOut, want)
	}
	for _, part := range []string{"cozeauth ", " commit ", " date ", " go1."} {
		if !strings.Contains(cmdOut, part) {
			t.Errorf("version output %q lacks %q", cmdOut, part)
		}
	}
}
