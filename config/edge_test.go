package config_test

import (
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/config"
)

const edgeBase = `apps:
  - {name: bot, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem}
policies: [{name: p, apps: [bot]}]
clients: [{name: ops, policy: p, key_hash: 'sha256:` + "0000000000000000000000000000000000000000000000000000000000000000" + `'}]
`

func TestEdgeSettingsLoad(t *testing.T) {
	cfg, err := config.LoadFile(writeConfig(t, edgeBase+`allowed_hosts: [Dev.Test., "192.168.1.5", "[::1]"]
admin_clients: [ops, gone]
audit: {hash_sessions: true, session_key: `+strings.Repeat("cd", 32)+`}
cookie: {max_age: 2h}
`))
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Access
	if strings.Join(a.AllowedHosts, ",") != "dev.test,192.168.1.5,::1" {
		t.Fatalf("allowed_hosts = %q", a.AllowedHosts)
	}
	if strings.Join(a.AdminClients, ",") != "ops,gone" || !strings.Contains(strings.Join(cfg.Warnings, "\n"), `no client named "gone"`) {
		t.Fatalf("admin_clients = %q, warnings %q", a.AdminClients, cfg.Warnings)
	}
	if !a.Audit.HashSessions || len(a.Audit.SessionKey) != 32 || a.Cookie.MaxAge != 2*time.Hour {
		t.Fatalf("audit %+v, cookie max_age %v", a.Audit, a.Cookie.MaxAge)
	}
	// Defaults.
	cfg, err = config.LoadFile(writeConfig(t, edgeBase))
	if err != nil {
		t.Fatal(err)
	}
	if a := cfg.Access; a.AllowedHosts != nil || a.AdminClients != nil || a.Audit.HashSessions || a.Cookie.MaxAge != config.DefaultCookieMaxAge {
		t.Fatalf("defaults: %+v", a)
	}
}

func TestEdgeSettingsErrors(t *testing.T) {
	cases := []struct{ name, yaml, field string }{
		{"host with scheme", "allowed_hosts: ['http://dev.test']", "allowed_hosts[0]"},
		{"host with port", "allowed_hosts: ['dev.test:8080']", "allowed_hosts[0]"},
		{"wildcard host", "allowed_hosts: ['*']", "allowed_hosts[0]"},
		{"bad admin name", "admin_clients: ['a b']", "admin_clients[0]"},
		{"short session key", "audit: {hash_sessions: true, session_key: abcd}", "audit.session_key"},
		{"max_age too long", "cookie: {max_age: 1000h}", "cookie.max_age"},
		{"max_age too short", "cookie: {max_age: 10s}", "cookie.max_age"},
		{"max_age not a duration", "cookie: {max_age: forever}", "cookie.max_age"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := config.LoadFile(writeConfig(t, edgeBase+tc.yaml+"\n"))
			if err == nil {
				t.Fatal("accepted")
			}
			if fe := findProblem(t, err, tc.field, ""); fe != nil && fe.Fix == "" {
				t.Fatalf("no fix in %v", fe)
			}
		})
	}
}

func TestAllowedHostsFromEnv(t *testing.T) {
	keys(t)
	cfg, err := config.LoadEnv(env(with(workerEnv(), "COZEAUTH_ALLOWED_HOSTS", "dev.test, LAPTOP.local ,")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cfg.Access.AllowedHosts, ",") != "dev.test,laptop.local" || cfg.Access.Cookie.MaxAge != config.DefaultCookieMaxAge {
		t.Fatalf("access = %+v", cfg.Access)
	}
	_, err = config.LoadEnv(env(with(workerEnv(), "COZEAUTH_ALLOWED_HOSTS", "http://x")))
	findProblem(t, err, "COZEAUTH_ALLOWED_HOSTS", "not a host name")
}
