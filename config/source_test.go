package config_test

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// With ./cozeauth.yaml present, variables of the environment are ignored,
// and Load says so, naming them (never their values).
func TestLoadSaysTheEnvironmentWasIgnored(t *testing.T) {
	path := writeConfig(t, "apps:\n  - name: bot\n    region: cn\n    client_id: \""+appCN+"\"\n    key_id: k\n    private_key_file: private_key.pem\n")
	e := with(workerEnv(), "COZEAUTH_LISTEN", "0.0.0.0:9")
	c, err := config.Load(config.Options{File: path, Getenv: env(e)})
	if err != nil {
		t.Fatal(err)
	}
	var w string
	for _, x := range c.Warnings {
		if strings.Contains(x, "ignored") {
			w = x
		}
	}
	for _, want := range []string{path, "--config", "CLIENT_ID, COZEAUTH_LISTEN, KID, PRIVATE_KEY", "a config file wins"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	if strings.Contains(w, "kid_worker") || strings.Contains(w, "BEGIN") {
		t.Errorf("a value leaked: %q", w)
	}
	if c.Apps[0].ClientID != appCN || c.Listen == "0.0.0.0:9" {
		t.Error("the file did not win")
	}

	// $COZEAUTH_CONFIG is named as the reason.
	c, err = config.Load(config.Options{Getenv: env(with(e, "COZEAUTH_CONFIG", path))})
	if err != nil || !strings.Contains(strings.Join(c.Warnings, "\n"), "($COZEAUTH_CONFIG)") {
		t.Errorf("COZEAUTH_CONFIG: %v %q", err, c.Warnings)
	}

	// Nothing set, nothing said.
	c, err = config.Load(config.Options{File: path, Getenv: env(nil)})
	if err != nil || strings.Contains(strings.Join(c.Warnings, "\n"), "ignored") {
		t.Errorf("no variables: %v %q", err, c.Warnings)
	}
}
