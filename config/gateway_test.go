package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
)

func TestLoadFileGateway(t *testing.T) {
	keys(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cn.pem"), pem1)
	app := "apps:\n  - name: a\n    region: cn\n    client_id: \"" + appCN + "\"\n    key_id: k\n    private_key_file: cn.pem\n"
	path := writeFile(t, filepath.Join(dir, "ok.yaml"), app+`gateway:
  idle_timeout: 45s
  max_concurrent: 300
  max_per_client: 20
  max_per_ip: 10
  max_upstream_conns: 128
`)
	c, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := config.Gateway{IdleTimeout: 45 * time.Second, MaxConcurrent: 300, MaxPerClient: 20, MaxPerIP: 10, MaxUpstreamConns: 128}
	if c.Gateway != want {
		t.Fatalf("gateway %+v, want %+v", c.Gateway, want)
	}
	bad := writeFile(t, filepath.Join(dir, "bad.yaml"), app+"gateway:\n  idle_timeout: 10ms\n  max_per_ip: -1\n")
	_, err = config.LoadFile(bad)
	var ce *config.Error
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "gateway.idle_timeout") || !strings.Contains(err.Error(), "gateway.max_per_ip") {
		t.Fatalf("bad gateway section: %v", err)
	}
}
