package main

import (
	"strings"
	"testing"
)

// With ./cozeauth.yaml in the working directory and the Worker's variables
// set, config check and serve both say the file won and the variables
// were ignored.
func TestConfigSourceIsSaid(t *testing.T) {
	_, cfg, dir := cnSetup(t)
	t.Chdir(dir)
	if !strings.HasSuffix(cfg, "/cozeauth.yaml") {
		t.Fatalf("config at %s", cfg)
	}
	t.Setenv("COZEAUTH_CONFIG", "")
	t.Setenv("CLIENT_ID", "1179999999999")
	t.Setenv("KID", "kid-from-env")
	out, errOut, code := cli(t, "", "config", "check")
	if code != 0 {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	wantAll(t, out, "cozeauth.yaml (found in the working directory)", "CLIENT_ID, KID are set but ignored")
	if strings.Contains(out, "kid-from-env") {
		t.Error("a variable's value was printed")
	}
	_, _, logs := startCLI(t, "serve", "--listen", "127.0.0.1:0")
	if !strings.Contains(logs.String(), "CLIENT_ID, KID are set but ignored") {
		t.Errorf("serve did not say the environment was ignored:\n%s", logs)
	}
}
