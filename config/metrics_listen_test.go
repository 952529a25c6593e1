package config_test

import (
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// TestMetricsListen: metrics_listen in the file and
// COZEAUTH_METRICS_LISTEN in the environment set Config.MetricsListen.
func TestMetricsListen(t *testing.T) {
	cfg, err := config.LoadFile(writeConfig(t, `metrics_listen: 127.0.0.1:9464
apps:
  - {name: bot, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem}
`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsListen != "127.0.0.1:9464" {
		t.Fatalf("metrics_listen: %q", cfg.MetricsListen)
	}
	keys(t)
	env := map[string]string{"CLIENT_ID": "1170000000000", "KID": "kid", "PRIVATE_KEY": pem1, "COZEAUTH_METRICS_LISTEN": "127.0.0.1:9465"}
	cfg, err = config.Load(config.Options{Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MetricsListen != "127.0.0.1:9465" {
		t.Fatalf("COZEAUTH_METRICS_LISTEN: %q", cfg.MetricsListen)
	}
}
