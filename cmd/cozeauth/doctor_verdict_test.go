package main

import (
	"strings"
	"testing"
)

// `doctor --pub other.pem`: Coze gives a token, the --pub file is not the
// pair of the private key; the last line must not claim that serve
// refuses the configuration (serve never reads --pub), and serve indeed
// starts with it.
func TestDoctorPubMismatchVerdictIsTruthful(t *testing.T) {
	_, cfg, dir := cnSetup(t)
	other := writeFile(t, dir, "other.pem", publicPEM(t, keyB), 0o644)
	out, _, code := cli(t, "", "doctor", "--config", cfg, "--pub", other)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	if strings.Contains(last, "refuses") || !strings.Contains(last, "works with this configuration") || !strings.Contains(last, "--pub") {
		t.Errorf("last line: %q\n%s", last, out)
	}
	if !strings.Contains(out, "✗ public key") {
		t.Errorf("no failed public key check:\n%s", out)
	}
	// What it claims: serve starts with this configuration.
	base, _, _ := startCLI(t, "serve", "--config", cfg, "--listen", "127.0.0.1:0")
	if status, tok := tokenStatus(t, base, "", "u"); status != 200 || !strings.HasPrefix(tok, "czs_") {
		t.Errorf("serve with the same configuration: %d %q", status, tok)
	}
}
