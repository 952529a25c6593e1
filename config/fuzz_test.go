package config_test

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

// fuzzBase is a valid config with every kind of policy, the seed the
// fuzzer cuts and mutates.
const fuzzBase = `apps:
  - {name: bot, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem, duration_seconds: 1200}
  - {name: chan, region: cn, client_id: "1170000000001", key_id: kid2, private_key_file: private_key.pem, channel: true,
     scope: {account_permission: {permission_list: [Connector.botChat, Bot.read]}}}
policies:
  - {name: backend, apps: [bot], max_duration: 3600, rate_per_key: 5/s}
  - {name: trusted, apps: [bot, chan], session: trust, session_context: true}
  - {name: gw, apps: [bot], gateway_only: true, paths: [/v3/chat], scope: {account_permission: {permission_list: [Connector.botChat]},
     attribute_constraint: {connector_bot_chat_attribute: {bot_id_list: ["7001"]}}}}
  - {name: kiosk, apps: [chan], session: fixed, session_value: kiosk, scope: {account_permission: {permission_list: [Bot.read]}}}
  - {name: widget, apps: [chan], public: true, origins: [https://shop.example], rate_per_ip: 1/s burst 5,
     scope: {account_permission: {permission_list: [Connector.botChat]}}}
clients:
  - {name: be1, policy: backend, key_hash: "sha256:0000000000000000000000000000000000000000000000000000000000000001"}
`

// fuzzKinds is a valid config with an app of every kind and a policy
// over them, the second main seed.
const fuzzKinds = `apps:
  - {name: jwt, region: cn, client_id: "1170000000000", key_id: kid, private_key_file: private_key.pem}
  - {name: pat, kind: pat, token_file: secrets/pat.txt}
  - {name: web, kind: web, region: cn, client_id: "1170000000002", client_secret_file: secrets/client_secret.txt, redirect_uri: "https://a.example/cb"}
  - {name: pkce, kind: pkce, oauth_config_file: pkce.json}
  - {name: device, kind: device, region: com, client_id: "7350000000004", workspace_id: "7001"}
policies:
  - {name: gw, apps: [pat, web, device], gateway_only: true, paths: [/v3/chat]}
  - {name: backend, apps: [jwt, pkce], max_duration: 3600}
`

// FuzzLoadFile feeds arbitrary YAML to LoadFile: it never panics, the same
// bytes always give the same answer, and it either accepts a complete,
// valid configuration (every rule the validator states re-checked here
// independently) or refuses with at least one located problem. Cutting a
// valid file short (a half-written file) is among the seeds: what is left
// must be refused or be valid on its own, never accepted with policies
// that lost their apps, scope or limits.
func FuzzLoadFile(f *testing.F) {
	keys(f)
	dir := f.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "private_key.pem"), []byte(pem1), 0o600); err != nil {
		f.Fatal(err)
	}
	writeFile(f, filepath.Join(dir, "secrets", "pat.txt"), testPAT+"\n")
	writeFile(f, filepath.Join(dir, "secrets", "client_secret.txt"), testSecret+"\n")
	for _, d := range []map[string]any{
		{"client_type": "jwt", "client_id": appCOM, "private_key": pem1, "public_key_id": "kid_console", "coze_api_base": "https://api.coze.com"},
		{"client_type": "web", "client_id": appCN, "client_secret": testSecret, "redirect_uris": []string{"https://a.example/cb"}},
		{"client_type": "pkce", "client_id": appCN, "redirect_uris": []string{"http://localhost:8080/cb"}},
		{"client_type": "device", "client_id": appCN},
	} {
		writeFile(f, filepath.Join(dir, d["client_type"].(string)+".json"), consoleJSON(f, d))
	}
	f.Add([]byte(fuzzBase))
	f.Add([]byte(everyKind))
	f.Add([]byte(fuzzKinds))
	for _, cut := range []int{60, 250, 420} {
		f.Add([]byte(fuzzKinds[:cut]))
	}
	for _, k := range []string{"jwt", "web", "pkce", "device"} {
		f.Add([]byte("apps:\n  - {name: a, oauth_config_file: " + k + ".json}\n"))
	}
	for _, cut := range []int{40, 200, 400, 500, 700, 900, 1000} {
		if cut < len(fuzzBase) {
			f.Add([]byte(fuzzBase[:cut]))
		}
	}
	f.Add([]byte("apps:\n  - {name: bot, region: cn, client_id: \"1\", key_id: k, private_key_file: private_key.pem}\npolicies:\n  - name: p\n"))
	f.Add([]byte("apps:\n  - {name: bot, region: cn, client_id: \"1\", key_id: k, private_key_file: private_key.pem}\npolicies: [{name: p, apps: [bot], scope: {}}]\n"))
	f.Add([]byte("apps:\n  - {name: bot, region: cn, client_id: \"1\", key_id: k, private_key_file: private_key.pem}\npolicies: [{name: p, apps: [bot], public: true, origins: [https://a.b], rate_per_ip: 1/s, scope: {account_permission: {permission_list: [a]}}}]\n"))
	f.Add([]byte("policies: [{name: p, apps: [bot], session: fixed, session_value: 'a:b'}]\n"))
	f.Add([]byte("{"))
	f.Add([]byte(""))

	path := filepath.Join(dir, "cozeauth.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			return
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, err := config.LoadFile(path)
		cfg2, err2 := config.LoadFile(path)
		if (err == nil) != (err2 == nil) || (err != nil && err.Error() != err2.Error()) {
			t.Fatalf("two loads of the same bytes differ: %v / %v", err, err2)
		}
		if err != nil {
			// Secrets read from files never come back in an error (the
			// input itself may of course hold them anywhere).
			for _, secret := range []string{testPAT, testSecret} {
				if !bytes.Contains(data, []byte(secret)) && strings.Contains(err.Error(), secret) {
					t.Fatalf("the error shows a secret read from a file:\n%v", err)
				}
			}
			var ce *config.Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("refusal %v lists no problems", err)
			}
			for _, p := range ce.Problems {
				var fe *config.FieldError
				if !errors.As(p, &fe) || fe.Field == "" || fe.Msg == "" {
					t.Fatalf("problem %v does not say where and what", p)
				}
			}
			return
		}
		if cfg == nil || cfg2 == nil {
			t.Fatal("accepted without a Config")
		}
		checkAccepted(t, cfg)
		for _, w := range cfg.Warnings {
			for _, secret := range []string{testPAT, testSecret} {
				if !bytes.Contains(data, []byte(secret)) && strings.Contains(w, secret) {
					t.Fatalf("a warning shows a secret read from a file: %s", w)
				}
			}
		}
	})
}

// checkAccepted restates the validator's rules over an accepted Config.
func checkAccepted(t *testing.T, cfg *config.Config) {
	t.Helper()
	if len(cfg.Apps) == 0 {
		t.Fatal("accepted with no apps")
	}
	apps := map[string]*config.App{}
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		if a.Name == "" || coze.ValidDuration(a.Duration) != nil || a.APIBase == "" {
			t.Fatalf("accepted an incomplete app %+v", a.Name)
		}
		checkAcceptedKind(t, a)
		if apps[a.Name] != nil {
			t.Fatalf("accepted two apps named %q", a.Name)
		}
		apps[a.Name] = a
		scopeNonEmpty(t, "app "+a.Name, a.Scope)
	}
	if _, ok := cfg.App(cfg.DefaultApp); !ok {
		t.Fatalf("default app %q is not an app", cfg.DefaultApp)
	}
	ac := &cfg.Access
	for i := range ac.Policies {
		p := &ac.Policies[i]
		if len(p.Apps) == 0 {
			t.Fatalf("accepted policy %q without apps", p.Name)
		}
		switch p.Session {
		case policy.SessionTrust, policy.SessionPrefix, policy.SessionCookie, policy.SessionFixed:
		default:
			t.Fatalf("accepted policy %q with session mode %q", p.Name, p.Session)
		}
		if p.Session == policy.SessionFixed {
			if p.SessionValue == "" || strings.Contains(p.SessionValue, ":") {
				t.Fatalf("accepted fixed policy %q with session value %q", p.Name, p.SessionValue)
			}
		}
		if p.Session == policy.SessionCookie && !p.Public {
			t.Fatalf("accepted cookie sessions on keyed policy %q", p.Name)
		}
		if p.Public && (len(p.Origins) == 0 || p.MaxScope == nil || p.PerIP.Unlimited() ||
			(p.Session != policy.SessionCookie && p.Session != policy.SessionFixed)) {
			t.Fatalf("accepted public policy %q without origins, scope, per-IP rate or a safe session", p.Name)
		}
		if p.MaxDuration != 0 && coze.ValidDuration(p.MaxDuration) != nil {
			t.Fatalf("accepted policy %q with max_duration %d", p.Name, p.MaxDuration)
		}
		scopeNonEmpty(t, "policy "+p.Name+" scope", p.MaxScope)
		scopeNonEmpty(t, "policy "+p.Name+" default_scope", p.DefaultScope)
		for _, name := range p.Apps {
			a := apps[name]
			if a == nil {
				t.Fatalf("accepted policy %q naming unknown app %q", p.Name, name)
			}
			if p.DefaultDuration > cmp.Or(p.MaxDuration, a.Duration) {
				t.Fatalf("accepted policy %q with default_duration %d over the max for %q", p.Name, p.DefaultDuration, name)
			}
			max := cmp.Or(p.MaxScope, a.Scope)
			if p.DefaultScope != nil {
				if _, why := policy.Narrow(p.DefaultScope, max); why != "" {
					t.Fatalf("accepted policy %q with a default scope beyond its max: %s", p.Name, why)
				}
			}
			restricts := (p.MaxScope != nil && js(p.MaxScope) != js(a.Scope)) || p.Paths != nil || p.Public
			if !a.Channel && restricts && !p.GatewayOnly {
				t.Fatalf("accepted policy %q that hands raw tokens of non-channel app %q while restricting what Coze ignores", p.Name, name)
			}
		}
	}
	for _, c := range ac.Clients {
		p, ok := ac.Policy(c.Policy)
		if !ok || p.Public || policy.ValidHash(c.Hash) != nil {
			t.Fatalf("accepted client %q with policy %q", c.Name, c.Policy)
		}
	}
}

// checkAcceptedKind: an accepted app has exactly the sub-struct of its
// kind, complete; only JWT apps are channel apps.
func checkAcceptedKind(t *testing.T, a *config.App) {
	t.Helper()
	set := map[config.Kind]bool{config.KindJWT: a.JWT != nil, config.KindPAT: a.PAT != nil, config.KindWeb: a.Web != nil,
		config.KindPKCE: a.PKCE != nil, config.KindDevice: a.Device != nil}
	for k, has := range set {
		if has != (k == a.Kind) {
			t.Fatalf("accepted app %q of kind %q with the %s sub-struct set: %v", a.Name, a.Kind, k, has)
		}
	}
	if a.Kind != config.KindPAT && (a.ClientID == "" || strings.Trim(a.ClientID, "0123456789") != "") {
		t.Fatalf("accepted %s app %q with app id %q", a.Kind, a.Name, a.ClientID)
	}
	if a.Channel && a.Kind != config.KindJWT {
		t.Fatalf("accepted %s app %q as a channel app", a.Kind, a.Name)
	}
	switch a.Kind {
	case config.KindJWT:
		if a.JWT.Key == nil || a.JWT.KeyID == "" || a.Signer() == nil {
			t.Fatalf("accepted JWT app %q without key or key id", a.Name)
		}
	case config.KindPAT:
		if a.PAT.Token == "" || a.ClientID != "" || strings.ContainsAny(a.PAT.Token.Reveal(), " \t\r\n") {
			t.Fatalf("accepted pat app %q with an unusable token or an app id", a.Name)
		}
	case config.KindWeb:
		if a.Web.ClientSecret == "" || a.WWWBase == "" {
			t.Fatalf("accepted web app %q without client secret or www base", a.Name)
		}
		redirectOK(t, a, a.Web.RedirectURI)
	case config.KindPKCE:
		if a.WWWBase == "" {
			t.Fatalf("accepted pkce app %q without www base", a.Name)
		}
		redirectOK(t, a, a.PKCE.RedirectURI)
	case config.KindDevice:
	default:
		t.Fatalf("accepted app %q of kind %q", a.Name, a.Kind)
	}
}

// redirectOK: an accepted redirect URI is absolute http(s), https unless
// on a loopback host, with no fragment.
func redirectOK(t *testing.T, a *config.App, uri string) {
	t.Helper()
	u, err := url.Parse(uri)
	if err != nil || u.Host == "" || u.Fragment != "" || u.User != nil || (u.Scheme != "https" && u.Scheme != "http") {
		t.Fatalf("accepted app %q with redirect URI %q", a.Name, uri)
	}
	if h := u.Hostname(); u.Scheme == "http" && h != "localhost" && !strings.HasPrefix(h, "127.") && h != "::1" {
		t.Fatalf("accepted app %q with plain-http redirect URI %q", a.Name, uri)
	}
}

// scopeNonEmpty: a configured scope restricts something, and no list in
// it is missing or empty.
func scopeNonEmpty(t *testing.T, what string, s *coze.Scope) {
	t.Helper()
	if s == nil {
		return
	}
	r := policy.Restricted(s)
	if len(r) == 0 {
		t.Fatalf("accepted %s that restricts nothing: %s", what, js(s))
	}
	if slices.ContainsFunc(slices.Collect(maps.Values(r)), func(l []string) bool { return len(l) == 0 }) {
		t.Fatalf("accepted %s with an empty list: %s", what, js(s))
	}
	if a := s.AttributeConstraint; a != nil && (a.ConnectorBotChatAttribute == nil || len(a.ConnectorBotChatAttribute.BotIDList) == 0) {
		t.Fatalf("accepted %s with a bot constraint naming no bots: %s", what, js(s))
	}
}

func js(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// TestFuzzKindsLoads: the seed with every kind is accepted too.
func TestFuzzKindsLoads(t *testing.T) {
	path := writeConfig(t, fuzzKinds)
	dir := filepath.Dir(path)
	writeFile(t, filepath.Join(dir, "secrets", "pat.txt"), testPAT+"\n")
	writeFile(t, filepath.Join(dir, "secrets", "client_secret.txt"), testSecret+"\n")
	writeFile(t, filepath.Join(dir, "pkce.json"), consoleJSON(t, map[string]any{"client_type": "pkce", "client_id": appCN, "redirect_uris": []string{"http://localhost:8080/cb"}}))
	cfg, err := config.LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	checkAccepted(t, cfg)
	if len(cfg.Apps) != 5 || len(cfg.Access.Policies) != 2 {
		t.Fatalf("%d apps, %d policies", len(cfg.Apps), len(cfg.Access.Policies))
	}
}

// TestFuzzBaseLoads: the fuzzer's main seed is accepted, so the oracle of
// accepted configs runs from the first input.
func TestFuzzBaseLoads(t *testing.T) {
	cfg, err := config.LoadFile(writeConfig(t, fuzzBase))
	if err != nil {
		t.Fatal(err)
	}
	checkAccepted(t, cfg)
	if len(cfg.Access.Policies) != 5 {
		t.Fatalf("%d policies", len(cfg.Access.Policies))
	}
}
