package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/server"
)

// TestStatusPrintsNoTerminalEscapes: a field holding terminal escapes or
// line breaks (a path a caller chose, Coze's error message) is printed
// with them replaced.
func TestStatusPrintsNoTerminalEscapes(t *testing.T) {
	now := time.Now()
	st := &server.Status{Version: "v1", Started: now, Now: now,
		Apps:   []server.AppState{{Name: "bot", Kind: "jwt", LastError: "coze refused: \x1b]0;pwned\x07\x1b[2J", ErrorAt: &now}},
		Recent: []server.Event{{Time: now, Kind: "denied", Code: "path_not_allowed", Status: 403, Path: "/v1/x\r\nFAKE LINE\x1b[31m"}}}
	var b bytes.Buffer
	printStatus(&b, "http://127.0.0.1:8080", st)
	out := b.String()
	if strings.ContainsAny(out, "\x1b\x07\r") || strings.Contains(out, "\nFAKE LINE") {
		t.Fatalf("control characters reached the terminal: %q", out)
	}
	wantAll(t, out, "bot", "coze refused: ", "path_not_allowed", "FAKE LINE")
}
