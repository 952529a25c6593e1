package emulator_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// webTokens runs a web login and returns its refresh token.
func (f *fixture) webTokens() string {
	f.t.Helper()
	_, rt := wantUserTokens(f.t, f, f.exchangeWeb(f.code(authQuery(webApp))), emulator.DefaultUser)
	return rt
}

func TestRefreshRotates(t *testing.T) {
	f := newUserFixture(t, nil)
	rt1 := f.webTokens()
	a2, rt2 := wantUserTokens(t, f, f.refresh(webApp, rt1), emulator.DefaultUser)
	a3, rt3 := wantUserTokens(t, f, f.refresh(webApp, rt2), emulator.DefaultUser)
	if rt1 == rt2 || rt2 == rt3 || a2 == a3 {
		t.Fatal("a refresh answered an old token")
	}
	if g, _ := f.srv.LastGrant(); g.GrantType != emulator.GrantRefreshToken || g.User != emulator.DefaultUser || g.ClientID != webApp {
		t.Errorf("grant %+v", g)
	}
	for _, rt := range []string{rt1, rt2} {
		if n := f.srv.RefreshRedemptions(rt); n != 1 {
			t.Errorf("redemptions %d", n)
		}
	}
	if f.srv.RefreshRedemptions(rt3) != 0 || f.srv.DoubleRedemptions() != 0 || f.srv.MintsByGrant(emulator.GrantRefreshToken) != 2 {
		t.Errorf("counters: double %d, refreshes %d", f.srv.DoubleRedemptions(), f.srv.MintsByGrant(emulator.GrantRefreshToken))
	}
	st := f.do(context.Background(), http.MethodGet, "/_emulator/stats", "", "", "")
	if by, _ := st.body["mints_by_grant"].(map[string]any); st.int("double_redemptions") != 0 || st.int("mints") != 3 || by == nil {
		t.Errorf("stats %s", st.raw)
	}

	// A spent refresh token answers invalid_grant, is counted, and revokes
	// the grant: the live token dies too.
	wantOAuth(t, f.refresh(webApp, rt1), 400, "invalid_grant", "already been used")
	if f.srv.RefreshRedemptions(rt1) != 2 || f.srv.DoubleRedemptions() != 1 {
		t.Errorf("replay not counted: %d, %d", f.srv.RefreshRedemptions(rt1), f.srv.DoubleRedemptions())
	}
	wantOAuth(t, f.refresh(webApp, rt3), 400, "invalid_grant", "revoked")
	st = f.do(context.Background(), http.MethodGet, "/_emulator/stats", "", "", "")
	if st.int("double_redemptions") != 1 {
		t.Errorf("stats %s", st.raw)
	}
	// Another login is a new grant, untouched.
	wantUserTokens(t, f, f.refresh(webApp, f.webTokens()), emulator.DefaultUser)
}

func TestRefreshExpires(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.RefreshTTL = time.Hour })
	rt := f.webTokens()
	f.clk.Add(time.Hour - time.Second)
	_, rt2 := wantUserTokens(t, f, f.refresh(webApp, rt), emulator.DefaultUser)
	// The rotated token lives a full RefreshTTL from its issue.
	f.clk.Add(time.Hour - time.Second)
	_, rt3 := wantUserTokens(t, f, f.refresh(webApp, rt2), emulator.DefaultUser)
	f.clk.Add(time.Hour)
	wantOAuth(t, f.refresh(webApp, rt3), 400, "invalid_grant", "expired")
}

func TestRefreshByKind(t *testing.T) {
	f := newUserFixture(t, nil)
	code := f.code(authQuery(pkceApp, "code_challenge", s256(verifier), "code_challenge_method", "S256"))
	_, rt := wantUserTokens(t, f, f.token(map[string]any{"grant_type": "authorization_code", "client_id": pkceApp,
		"code": code, "redirect_uri": redirect, "code_verifier": verifier}, ""), emulator.DefaultUser)
	wantUserTokens(t, f, f.refresh(pkceApp, rt), emulator.DefaultUser)
}

func TestRefreshRefusals(t *testing.T) {
	type body = map[string]any
	cases := []struct {
		name       string
		req        func(rt string) (body, string)
		status     int
		code, has  string
		counted    bool // the refused attempt counts as a presentation of rt
		stillWorks bool // rt is still redeemable afterwards
	}{
		{"no secret", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": webApp, "refresh_token": rt}, ""
		}, 401, "invalid_client", "missing client secret", false, true},
		{"wrong secret", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": webApp, "refresh_token": rt}, "wrong"
		}, 401, "invalid_client", "invalid client secret", false, true},
		{"another client", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": webApp2, "refresh_token": rt}, "other-secret"
		}, 400, "invalid_grant", "not issued to this client_id", true, true},
		{"unknown token", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": webApp, "refresh_token": rt + "x"}, webSecret
		}, 400, "invalid_grant", "invalid", false, true},
		{"token missing", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": webApp}, webSecret
		}, 400, "invalid_request", "refresh_token", false, true},
		{"token not a string", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": webApp, "refresh_token": map[string]string{"t": rt}}, webSecret
		}, 400, "invalid_request", "must be a string", false, true},
		{"JWT app", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "client_id": app1, "refresh_token": rt}, ""
		}, 403, "access_deny", "invalid app type", false, true},
		{"client_id missing", func(rt string) (body, string) {
			return body{"grant_type": "refresh_token", "refresh_token": rt}, webSecret
		}, 400, "invalid_request", "client_id", false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			rt := f.webTokens()
			b, secret := tc.req(rt)
			r := f.token(b, secret)
			wantOAuth(t, r, tc.status, tc.code, tc.has)
			if strings.Contains(string(r.raw), rt) || strings.Contains(string(r.raw), webSecret) {
				t.Errorf("the refusal repeats a secret: %s", r.raw)
			}
			want := 0
			if tc.counted {
				want = 1
			}
			if f.srv.RefreshRedemptions(rt) != want || f.srv.MintsByGrant(emulator.GrantRefreshToken) != 0 {
				t.Errorf("redemptions %d, want %d", f.srv.RefreshRedemptions(rt), want)
			}
			if tc.stillWorks {
				wantUserTokens(t, f, f.refresh(webApp, rt), emulator.DefaultUser)
			}
		})
	}
}

func TestIssueAndRevokeGrants(t *testing.T) {
	f := newUserFixture(t, nil)
	rt := f.srv.IssueRefreshToken(deviceApp, "7310000000000000007")
	_, rt2 := wantUserTokens(t, f, f.refresh(deviceApp, rt), "7310000000000000007")
	other := f.srv.IssueRefreshToken(deviceApp, "7310000000000000008")
	if n := f.srv.RevokeGrants(deviceApp, "7310000000000000007"); n != 1 {
		t.Errorf("revoked %d", n)
	}
	wantOAuth(t, f.refresh(deviceApp, rt2), 400, "invalid_grant", "revoked")
	wantUserTokens(t, f, f.refresh(deviceApp, other), "7310000000000000008")
}

// TestConcurrentRefresh: many callers redeem one refresh token at once;
// exactly one gets tokens, every presentation is counted. Run with -race.
func TestConcurrentRefresh(t *testing.T) {
	f := newUserFixture(t, nil)
	rt := f.webTokens()
	const callers = 16
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for range callers {
		wg.Go(func() {
			r := f.refresh(webApp, rt)
			mu.Lock()
			statuses[r.status]++
			mu.Unlock()
		})
	}
	// Independent grants refreshed in parallel are each redeemed once.
	const grants = 32
	for i := range grants {
		wg.Go(func() {
			tok := f.srv.IssueRefreshToken(pkceApp, "u")
			for range 3 {
				r := f.refresh(pkceApp, tok)
				if r.status != 200 {
					t.Errorf("grant %d: %d %s", i, r.status, r.raw)
					return
				}
				tok = r.str("refresh_token")
			}
		})
	}
	wg.Wait()
	if statuses[200] != 1 || statuses[400] != callers-1 {
		t.Errorf("statuses %v", statuses)
	}
	if f.srv.RefreshRedemptions(rt) != callers || f.srv.DoubleRedemptions() != 1 {
		t.Errorf("redemptions %d, doubles %d", f.srv.RefreshRedemptions(rt), f.srv.DoubleRedemptions())
	}
	if n := f.srv.MintsByGrant(emulator.GrantRefreshToken); n != 1+3*grants {
		t.Errorf("refreshes %d", n)
	}
}

// TestRefreshUnderFaults: a refused or dropped request redeems nothing, so
// retrying it is safe; an answer lost after the redemption leaves the
// client holding a spent token, and retrying it is a double redemption.
func TestRefreshUnderFaults(t *testing.T) {
	f := newUserFixture(t, nil)
	rt := f.webTokens()
	f.srv.Inject(emulator.Fault{Status: 503, RetryAfter: "1"})
	f.srv.Inject(emulator.Fault{Drop: true})
	wantOAuth(t, f.refresh(webApp, rt), 503, "internal_error", "")
	if r := f.refresh(webApp, rt); r.err == nil {
		t.Fatalf("Drop answered: %d", r.status)
	}
	_, rt2 := wantUserTokens(t, f, f.refresh(webApp, rt), emulator.DefaultUser)
	if f.srv.RefreshRedemptions(rt) != 1 || f.srv.DoubleRedemptions() != 0 {
		t.Fatalf("a faulted request counted: %d", f.srv.RefreshRedemptions(rt))
	}

	f.srv.Inject(emulator.Fault{LoseAnswer: true})
	if r := f.refresh(webApp, rt2); r.err == nil {
		t.Fatalf("LoseAnswer answered: %d %s", r.status, r.raw)
	}
	if f.srv.MintsByGrant(emulator.GrantRefreshToken) != 2 || f.srv.RefreshRedemptions(rt2) != 1 {
		t.Fatalf("the lost answer's refresh was not carried out: %d", f.srv.MintsByGrant(emulator.GrantRefreshToken))
	}
	wantOAuth(t, f.refresh(webApp, rt2), 400, "invalid_grant", "already been used")
	if f.srv.DoubleRedemptions() != 1 {
		t.Errorf("doubles %d", f.srv.DoubleRedemptions())
	}
}

// TestConcurrentSingleUse: a code and an approved device code redeemed by
// many callers at once give tokens exactly once each. Run with -race.
func TestConcurrentSingleUse(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.DeviceInterval = -1 })
	code := f.code(authQuery(webApp))
	r := f.do(t.Context(), http.MethodPost, devicePath, "application/json", "", `{"client_id":"`+deviceApp+`"}`)
	dc := r.str("device_code")
	f.get(emulator.VerifyPath + "?user_code=" + r.str("user_code"))
	const callers = 12
	var wg sync.WaitGroup
	var codeOK, deviceOK atomic.Int32
	for range callers {
		wg.Go(func() {
			if f.exchangeWeb(code).status == 200 {
				codeOK.Add(1)
			}
		})
		wg.Go(func() {
			if f.poll(deviceApp, dc).status == 200 {
				deviceOK.Add(1)
			}
		})
	}
	wg.Wait()
	if codeOK.Load() != 1 || deviceOK.Load() != 1 || f.srv.Mints() != 2 {
		t.Errorf("code %d, device %d, mints %d", codeOK.Load(), deviceOK.Load(), f.srv.Mints())
	}
}
