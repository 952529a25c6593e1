package server

import (
	"strings"
	"testing"
)

// TestTwoCredentialsAreAmbiguous: a request carrying two client keys —
// which one is the caller? — is refused with 400 and changes nothing:
// no token, no mint, no cookie, no key marked used. Open mode too.
func TestTwoCredentialsAreAmbiguous(t *testing.T) {
	f := newEdgeFixture(t, false, nil)
	k := f.keys
	cases := []struct {
		name  string
		h     []string
		which string
	}{
		{"two Authorization headers", []string{"Authorization", "Bearer " + k.alpha, "Authorization", "Bearer " + k.beta}, "Authorization header was sent 2 times"},
		{"two X-API-Key headers", []string{"X-API-Key", k.alpha, "X-API-Key", k.slow}, "X-API-Key header was sent 2 times"},
		{"Authorization and X-API-Key", []string{"Authorization", "Bearer " + k.beta, "X-API-Key", k.alpha}, "both Authorization and X-API-Key"},
		{"the same key twice", []string{"Authorization", "Bearer " + k.alpha, "X-API-Key", k.alpha}, "both Authorization and X-API-Key"},
		// The public origin's placeholder is no key only when it is alone.
		{"placeholder and a key on a public origin", []string{"Origin", shopOrigin, "Authorization", "Bearer public", "X-API-Key", k.alpha}, "both"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := f.emu.Requests()
			status, h, body := f.send(t, "POST", "/token", "", "", hdr(tc.h...))
			if status != 400 || errCode(t, body) != "ambiguous_credentials" || !strings.Contains(string(body), tc.which) {
				t.Fatalf("status %d: %s", status, body)
			}
			if f.emu.Requests() != before || h.Get("Set-Cookie") != "" || len(f.server.LastUsed()) != 0 {
				t.Fatal("an ambiguous request changed something")
			}
		})
	}
	// The gateway refuses the same way.
	status, _, body := f.send(t, "GET", "/v1/users/me", "", "", hdr("Authorization", "Bearer "+k.alpha, "X-API-Key", k.alpha))
	if status != 400 || errCode(t, body) != "ambiguous_credentials" {
		t.Fatalf("gateway: status %d: %s", status, body)
	}
	a := f.audit.String()
	if strings.Count(a, "code=ambiguous_credentials") != len(cases)+1 {
		t.Fatalf("ambiguous requests not audited:\n%s", a)
	}
	for _, key := range []string{k.alpha, k.beta, k.slow} {
		if strings.Contains(a, key) || strings.Contains(a, key[:12]) {
			t.Fatal("a presented key reached the audit log")
		}
	}
	// One credential still works.
	if status, _, body := f.send(t, "POST", "/token", "", "", hdr("X-API-Key", k.alpha)); status != 200 {
		t.Fatalf("one key: status %d: %s", status, body)
	}
}

func TestTwoCredentialsAreAmbiguousInOpenMode(t *testing.T) {
	f := newEdgeFixture(t, true, nil)
	status, _, body := f.send(t, "POST", "/token", "", "", hdr("Authorization", "Bearer a", "Authorization", "Bearer b"))
	if status != 400 || errCode(t, body) != "ambiguous_credentials" || f.emu.Requests() != 0 {
		t.Fatalf("status %d: %s", status, body)
	}
	// One (ignored) credential is fine in open mode, as before.
	if status, _, body := f.send(t, "POST", "/token", "", "", hdr("Authorization", "Bearer whatever")); status != 200 {
		t.Fatalf("status %d: %s", status, body)
	}
}
