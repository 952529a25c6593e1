package config_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

func TestTLSAndCertClientFields(t *testing.T) {
	base := "apps:\n  - name: bot\n    region: cn\n    client_id: \"" + appCN + "\"\n    key_id: k\n    private_key_file: private_key.pem\npolicies:\n  - name: p\n    apps: [bot]\n"
	good := "sha256:" + strings.Repeat("ab", 32)
	c, err := config.LoadFile(writeConfig(t, base+"clients:\n  - {name: svc, policy: p, cert_spki: \""+good+"\"}\ntls: {cert_file: tls.crt, key_file: tls.key, client_ca_file: ca.crt}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cl := c.Access.Clients[0]; cl.CertSPKI != good || cl.Hash != "" {
		t.Errorf("client %+v", cl)
	}
	if !c.TLS.Enabled() || filepath.Base(c.TLS.CertFile) != "tls.crt" || !filepath.IsAbs(c.TLS.KeyFile) || filepath.Base(c.TLS.ClientCAFile) != "ca.crt" {
		t.Errorf("tls %+v (paths relative to the config file)", c.TLS)
	}
	for _, tt := range []struct{ extra, field string }{
		{"clients:\n  - {name: svc, policy: p, cert_spki: \"sha256:12\"}\n", "clients[0].cert_spki"},
		{"clients:\n  - {name: svc, policy: p}\n", "clients[0].key_hash"},
		{"tls: {cert_file: tls.crt}\n", "tls.key_file"},
		{"tls: {key_file: tls.key}\n", "tls.cert_file"},
		{"tls: {client_ca_file: ca.crt}\n", "tls.client_ca_file"},
	} {
		_, err := config.LoadFile(writeConfig(t, base+tt.extra))
		var fe *config.FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%q: %v, want a problem in %s", tt.extra, err, tt.field)
		}
	}
	c, err = config.LoadEnv(env(with(workerEnv(), "COZEAUTH_TLS_CERT", "/etc/c.pem", "COZEAUTH_TLS_KEY", "/etc/k.pem")))
	if err != nil || c.TLS.CertFile != "/etc/c.pem" || c.TLS.KeyFile != "/etc/k.pem" {
		t.Errorf("COZEAUTH_TLS_*: %+v %v", c.TLS, err)
	}
}
