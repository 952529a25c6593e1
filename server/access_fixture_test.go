package server

import (
	"net/http/httptest"
	"testing"

	"github.com/cozeauth/cozeauth/config"
	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/policy"
)

const shopOrigin = "https://shop.example"

// keys handed to the test clients.
type testKeys struct{ alpha, beta, slow, revoked string }

func botScope(perms []string, bots ...string) *coze.Scope {
	s := &coze.Scope{AccountPermission: &coze.AccountPermission{PermissionList: perms}}
	if len(bots) > 0 {
		s.AttributeConstraint = &coze.AttributeConstraint{ConnectorBotChatAttribute: &coze.BotChatAttribute{BotIDList: bots}}
	}
	return s
}

// testAccess: "backend" (prefix sessions, narrow scope, 1 h max) for
// alpha and beta, "strict" (2 requests/s) for slow, and a public
// "widget" for https://shop.example with cookie sessions.
func testAccess(t testing.TB) (config.Access, testKeys) {
	t.Helper()
	var k testKeys
	var hashes [4]string
	for i, dst := range []*string{&k.alpha, &k.beta, &k.slow, &k.revoked} {
		key, hash, err := policy.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		*dst, hashes[i] = key, hash
	}
	return config.Access{
		Policies: []policy.Policy{
			{Name: "backend", Apps: []string{"good"}, Session: policy.SessionPrefix, MaxDuration: 3600,
				MaxScope: botScope([]string{"Connector.botChat", "Bot.read"}, "7001", "7002")},
			{Name: "strict", Apps: []string{"good"}, Session: policy.SessionTrust, PerKey: policy.Rate{PerSecond: 2, Burst: 2}},
			{Name: "widget", Apps: []string{"good"}, Public: true, Origins: []string{shopOrigin}, Session: policy.SessionCookie,
				MaxScope: botScope([]string{"Connector.botChat"}, "7001"), MaxDuration: 600,
				PerIP: policy.Rate{PerSecond: 5, Burst: 5}},
		},
		Clients: []policy.Client{
			{Name: "alpha", Policy: "backend", Hash: hashes[0]},
			{Name: "beta", Policy: "backend", Hash: hashes[1]},
			{Name: "slow", Policy: "strict", Hash: hashes[2]},
		},
		Cookie: config.Cookie{SameSite: "lax"},
	}, k
}

// guarded returns f serving with testAccess's rules.
func guarded(t *testing.T) (*fixture, testKeys) {
	t.Helper()
	f := newFixture(t)
	acc, keys := testAccess(t)
	f.cfg.Access = acc
	s := mustNew(t, f.cfg, f.b, Options{Log: f.logger, Audit: f.logger})
	f.srv.Close()
	f.srv = httptest.NewServer(s)
	t.Cleanup(f.srv.Close)
	f.server = s
	return f, keys
}
