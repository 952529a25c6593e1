package emulator_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

func TestWebCodeFlow(t *testing.T) {
	f := newUserFixture(t, nil)
	code := f.code(authQuery(webApp))
	access, rt := wantUserTokens(t, f, f.exchangeWeb(code), emulator.DefaultUser)
	if rt == "" || access == "" {
		t.Fatal("no tokens")
	}
	g, ok := f.srv.LastGrant()
	if !ok || g.GrantType != emulator.GrantAuthorizationCode || g.ClientID != webApp || g.User != emulator.DefaultUser || g.WorkspaceID != "" || g.Duration != 900 {
		t.Errorf("grant %+v", g)
	}
	if f.srv.MintsByGrant(emulator.GrantAuthorizationCode) != 1 || f.srv.Mints() != 1 || f.srv.MintsByGrant(emulator.GrantJWTBearer) != 0 {
		t.Errorf("counters: %d mints", f.srv.Mints())
	}
	// A code is single-use.
	wantOAuth(t, f.exchangeWeb(code), 400, "invalid_grant", "already been used")
	if f.srv.Mints() != 1 {
		t.Errorf("a reused code minted: %d", f.srv.Mints())
	}
	// The access token stops at its expiry by the emulator's clock.
	f.clk.Add(900 * time.Second)
	f.wantMeRejected("Bearer " + access)
}

func TestWorkspaceCodeFlowAndOtherUser(t *testing.T) {
	f := newUserFixture(t, nil)
	f.srv.SetUser("7310000000000000042")
	path := strings.Replace(authQuery(webApp), authPath, "/api/permission/oauth2/workspace_id/7400000000001/authorize", 1)
	wantUserTokens(t, f, f.exchangeWeb(f.code(path)), "7310000000000000042")
	if g, _ := f.srv.LastGrant(); g.WorkspaceID != "7400000000001" || g.User != "7310000000000000042" {
		t.Errorf("grant %+v", g)
	}
}

func TestAuthorizeKeepsRedirectQueryAndOmitsAbsentState(t *testing.T) {
	f := newUserFixture(t, nil)
	f.srv.AddWebApp("1180000000009", webSecret, "https://app.example/cb?tenant=a")
	q := url.Values{"response_type": {"code"}, "client_id": {"1180000000009"}, "redirect_uri": {"https://app.example/cb?tenant=a"}}
	p := f.get(authPath + "?" + q.Encode())
	u := p.location(t)
	if p.status != 302 || u.Query().Get("tenant") != "a" || u.Query().Get("code") == "" || u.Query().Has("state") {
		t.Errorf("redirect %d %s", p.status, u)
	}
}

// TestAuthorizeRefusals: what names no registered client or redirect URI is
// answered in place, never redirected; the rest goes back to the redirect
// URI as error=...&state=....
func TestAuthorizeRefusals(t *testing.T) {
	inPlace := []struct {
		name, path, code string
		status           int
		method           string
	}{
		{"unknown client", authQuery("999"), "invalid_client", 401, ""},
		{"missing client", authQuery(webApp, "client_id", ""), "invalid_request", 400, ""},
		{"redirect_uri missing", authQuery(webApp, "redirect_uri", ""), "invalid_request", 400, ""},
		{"redirect_uri with a trailing slash", authQuery(webApp, "redirect_uri", redirect+"/"), "invalid_request", 400, ""},
		{"redirect_uri of another host", authQuery(webApp, "redirect_uri", "https://evil.example/oauth/callback"), "invalid_request", 400, ""},
		{"redirect_uri with an added query", authQuery(webApp, "redirect_uri", redirect+"?x=1"), "invalid_request", 400, ""},
		{"redirect_uri in other case", authQuery(webApp, "redirect_uri", strings.ToUpper(redirect)), "invalid_request", 400, ""},
		{"device app", authQuery(deviceApp), "access_deny", 403, ""},
		{"JWT app", authQuery(app1), "access_deny", 403, ""},
		{"POST", authQuery(webApp), "invalid_request", 405, http.MethodPost},
		{"workspace id too long", strings.Replace(authQuery(webApp), authPath,
			"/api/permission/oauth2/workspace_id/"+strings.Repeat("9", 129)+"/authorize", 1), "invalid_request", 400, ""},
	}
	for _, tc := range inPlace {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			req, _ := http.NewRequest(cmpOr(tc.method, http.MethodGet), f.hs.URL+tc.path, nil)
			pageError(t, f.browse(req), tc.status, tc.code)
		})
	}
	redirected := []struct{ name, path, code string }{
		{"response_type token", authQuery(webApp, "response_type", "token"), "unsupported_response_type"},
		{"response_type missing", authQuery(webApp, "response_type", ""), "unsupported_response_type"},
		{"state too long", authQuery(webApp, "state", strings.Repeat("s", 1025)), "invalid_request"},
		{"PKCE app without a challenge", authQuery(pkceApp), "invalid_request"},
		{"method without a challenge", authQuery(webApp, "code_challenge_method", "S256"), "invalid_request"},
		{"unknown challenge method", authQuery(pkceApp, "code_challenge", s256(verifier), "code_challenge_method", "S512"), "invalid_request"},
		{"S256 challenge of the wrong length", authQuery(pkceApp, "code_challenge", s256(verifier)+"A", "code_challenge_method", "S256"), "invalid_request"},
		{"S256 challenge with padding", authQuery(pkceApp, "code_challenge", s256(verifier)[:42]+"=", "code_challenge_method", "S256"), "invalid_request"},
		{"plain challenge too short", authQuery(pkceApp, "code_challenge", "short", "code_challenge_method", "plain"), "invalid_request"},
	}
	for _, tc := range redirected {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			p := f.get(tc.path)
			u := p.location(t)
			wantState := "st-1"
			if tc.name == "state too long" {
				wantState = strings.Repeat("s", 1025)
			}
			if p.status != 302 || u.Host != "app.example" || u.Query().Get("error") != tc.code ||
				u.Query().Get("state") != wantState || u.Query().Has("code") || u.Query().Get("error_description") == "" {
				t.Errorf("%d redirect to %s", p.status, u)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func TestDenyModeRedirectsAccessDenied(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.Approve = emulator.ApproveDeny })
	p := f.get(authQuery(webApp))
	u := p.location(t)
	if p.status != 302 || u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st-1" || u.Query().Has("code") {
		t.Errorf("%d %s", p.status, u)
	}
	f.srv.SetApprove(emulator.ApproveAuto)
	f.code(authQuery(webApp))
}

// TestCodeExchangeRefusals: every refusal of the authorization_code grant,
// each with Coze's error shape and no token; refusals before the code is
// looked up (client authentication, missing fields) leave it redeemable.
func TestCodeExchangeRefusals(t *testing.T) {
	type body = map[string]any
	web := func(code string) body {
		return body{"grant_type": "authorization_code", "client_id": webApp, "code": code, "redirect_uri": redirect}
	}
	with := func(b body, k string, v any) body {
		b[k] = v
		if v == nil {
			delete(b, k)
		}
		return b
	}
	cases := []struct {
		name         string
		req          func(code string) (body, string)
		status       int
		errCode, has string
		spent        bool // the code is spent by the refused attempt
	}{
		{"no client secret", func(c string) (body, string) { return web(c), "" }, 401, "invalid_client", "missing client secret", false},
		{"wrong client secret", func(c string) (body, string) { return web(c), "nope" }, 401, "invalid_client", "invalid client secret", false},
		{"secret of another app", func(c string) (body, string) { return web(c), "other-secret" }, 401, "invalid_client", "invalid client secret", false},
		{"client_id missing", func(c string) (body, string) { return with(web(c), "client_id", nil), webSecret }, 400, "invalid_request", "client_id", false},
		{"client_id unknown", func(c string) (body, string) { return with(web(c), "client_id", "42"), webSecret }, 401, "invalid_client", "not registered", false},
		{"client_id of a device app", func(c string) (body, string) { return with(web(c), "client_id", deviceApp), "" }, 403, "access_deny", "invalid app type", false},
		{"client_id of a JWT app", func(c string) (body, string) { return with(web(c), "client_id", app1), "" }, 403, "access_deny", "invalid app type", false},
		{"code missing", func(c string) (body, string) { return with(web(c), "code", nil), webSecret }, 400, "invalid_request", "code", false},
		{"code not a string", func(c string) (body, string) { return with(web(c), "code", 12), webSecret }, 400, "invalid_request", "code must be a string", false},
		{"redirect_uri missing", func(c string) (body, string) { return with(web(c), "redirect_uri", nil), webSecret }, 400, "invalid_request", "redirect_uri", false},
		{"unknown code", func(c string) (body, string) { return with(web(c), "code", "x"+c), webSecret }, 400, "invalid_grant", "invalid", false},
		{"code for another client", func(c string) (body, string) { return with(web(c), "client_id", webApp2), "other-secret" }, 400, "invalid_grant", "not issued to this client_id", false},
		{"redirect_uri differs", func(c string) (body, string) {
			return with(web(c), "redirect_uri", "http://127.0.0.1:8080/cb"), webSecret
		}, 400, "invalid_grant", "redirect_uri", true},
		{"verifier for a code without challenge", func(c string) (body, string) { return with(web(c), "code_verifier", verifier), webSecret }, 400, "invalid_grant", "without code_challenge", true},
		{"wrong grant_type", func(c string) (body, string) { return with(web(c), "grant_type", "password"), webSecret }, 400, "unsupported_grant_type", "authorization_code", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			code := f.code(authQuery(webApp))
			b, secret := tc.req(code)
			r := f.token(b, secret)
			wantOAuth(t, r, tc.status, tc.errCode, tc.has)
			if strings.Contains(string(r.raw), code) || strings.Contains(string(r.raw), webSecret) {
				t.Errorf("the refusal repeats a secret: %s", r.raw)
			}
			if f.srv.Mints() != 0 {
				t.Fatal("minted")
			}
			r = f.exchangeWeb(code)
			if tc.spent {
				wantOAuth(t, r, 400, "invalid_grant", "already been used")
			} else {
				wantUserTokens(t, f, r, emulator.DefaultUser)
			}
		})
	}
	t.Run("expired code", func(t *testing.T) {
		f := newUserFixture(t, nil)
		code := f.code(authQuery(webApp))
		f.clk.Add(emulator.DefaultCodeTTL - time.Second)
		late := f.code(authQuery(webApp))
		f.clk.Add(time.Second)
		wantOAuth(t, f.exchangeWeb(code), 400, "invalid_grant", "expired")
		wantUserTokens(t, f, f.exchangeWeb(late), emulator.DefaultUser)
	})
	t.Run("malformed and oversized bodies", func(t *testing.T) {
		f := newUserFixture(t, nil)
		for _, b := range []string{`{"grant_type":"authorization_code"`, `[]`, `"authorization_code"`, `{"grant_type":"authorization_code","client_id":"` + webApp + `","code":"` + strings.Repeat("c", 70<<10) + `"}`} {
			r := f.do(t.Context(), http.MethodPost, tokenPath, "application/json", "Bearer "+webSecret, b)
			if r.status != 400 && r.status != 413 || r.str("error_code") != "invalid_request" {
				t.Errorf("%.40s: %d %s", b, r.status, r.raw)
			}
		}
	})
}

func TestPKCE(t *testing.T) {
	pkce := func(code, v string) map[string]any {
		b := map[string]any{"grant_type": "authorization_code", "client_id": pkceApp, "code": code, "redirect_uri": redirect}
		if v != "" {
			b["code_verifier"] = v
		}
		return b
	}
	plain := strings.Repeat("p", 43) + "-._~9"
	cases := []struct {
		name, challenge, method, verifier string
		bearer                            string
		ok                                bool
		has                               string
	}{
		{"S256", s256(verifier), "S256", verifier, "", true, ""},
		{"S256 with a stray Authorization header", s256(verifier), "S256", verifier, "whatever", true, ""},
		{"plain", plain, "plain", plain, "", true, ""},
		{"no method means plain", plain, "", plain, "", true, ""},
		{"wrong verifier", s256(verifier), "S256", strings.Repeat("a", 43), "", false, "does not match"},
		{"missing verifier", s256(verifier), "S256", "", "", false, "code_verifier is required"},
		{"verifier too short", s256(verifier[:42]), "S256", verifier[:42], "", false, "does not match"},
		{"verifier with a bad character", s256(verifier[:42] + "+"), "S256", verifier[:42] + "+", "", false, "does not match"},
		{"challenge sent as verifier (S256)", s256(verifier), "S256", s256(verifier), "", false, "does not match"},
		{"plain verifier against S256", s256(plain), "plain", s256(plain)[:42] + "x", "", false, "does not match"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			code := f.code(authQuery(pkceApp, "code_challenge", tc.challenge, "code_challenge_method", tc.method))
			r := f.token(pkce(code, tc.verifier), tc.bearer)
			if !tc.ok {
				wantOAuth(t, r, 400, "invalid_grant", tc.has)
				// A failed attempt spends the code: no guessing verifiers.
				wantOAuth(t, f.token(pkce(code, verifier), ""), 400, "invalid_grant", "already been used")
				return
			}
			wantUserTokens(t, f, r, emulator.DefaultUser)
			if g, _ := f.srv.LastGrant(); g.ClientID != pkceApp || g.GrantType != emulator.GrantAuthorizationCode {
				t.Errorf("grant %+v", g)
			}
		})
	}
	t.Run("web app with PKCE needs both", func(t *testing.T) {
		f := newUserFixture(t, nil)
		code := f.code(authQuery(webApp, "code_challenge", s256(verifier), "code_challenge_method", "S256"))
		b := map[string]any{"grant_type": "authorization_code", "client_id": webApp, "code": code, "redirect_uri": redirect, "code_verifier": verifier}
		wantOAuth(t, f.token(b, ""), 401, "invalid_client", "secret")
		wantUserTokens(t, f, f.token(b, webSecret), emulator.DefaultUser)
	})
}
