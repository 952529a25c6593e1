package emulator_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

// shown is a consent page as a browser got it.
type shown struct {
	id, csrf string
	cookie   *http.Cookie
	page     page
}

var hiddenRE = regexp.MustCompile(`name="(consent_id|csrf_token)" value="([^"]+)"`)

// askPage fetches path, expecting a consent page.
func (f *fixture) askPage(path string) shown {
	f.t.Helper()
	p := f.get(path)
	if p.status != 200 || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
		f.t.Fatalf("consent page: %d %s", p.status, p.body)
	}
	for _, id := range []string{`id="approve"`, `id="deny"`, `method="post"`, `action="` + emulator.ConsentPath + `"`} {
		if !strings.Contains(p.body, id) {
			f.t.Errorf("consent page lacks %s", id)
		}
	}
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "Cache-Control": "no-store"} {
		if p.header.Get(h) != want {
			f.t.Errorf("%s %q", h, p.header.Get(h))
		}
	}
	if csp := p.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
		f.t.Errorf("CSP %q", csp)
	}
	s := shown{page: p}
	for _, m := range hiddenRE.FindAllStringSubmatch(p.body, -1) {
		if m[1] == "consent_id" {
			s.id = m[2]
		} else {
			s.csrf = m[2]
		}
	}
	res := http.Response{Header: p.header}
	for _, c := range res.Cookies() {
		if strings.HasPrefix(c.Name, "coze_emulator_consent_") {
			s.cookie = c
		}
	}
	if s.id == "" || s.csrf == "" || s.cookie == nil || !s.cookie.HttpOnly || s.cookie.SameSite != http.SameSiteStrictMode {
		f.t.Fatalf("consent page without id, token or a strict HttpOnly cookie: %+v", s)
	}
	return s
}

// answer posts a consent form.
func (f *fixture) answer(form url.Values, cookie *http.Cookie, mod func(*http.Request)) page {
	f.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, f.hs.URL+emulator.ConsentPath, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if cookie != nil {
		req.AddCookie(&http.Cookie{Name: cookie.Name, Value: cookie.Value})
	}
	if mod != nil {
		mod(req)
	}
	return f.browse(req)
}

func (s shown) form(decision string) url.Values {
	return url.Values{"consent_id": {s.id}, "csrf_token": {s.csrf}, "decision": {decision}}
}

func askFixture(t *testing.T) *fixture {
	return newUserFixture(t, func(o *emulator.Options) { o.Approve = "" }) // the default: ask
}

func TestConsentApprove(t *testing.T) {
	f := askFixture(t)
	s := f.askPage(authQuery(webApp))
	if !strings.Contains(s.page.body, emulator.DefaultUser) || !strings.Contains(s.page.body, "https://app.example") {
		t.Errorf("page does not say who consents and where it returns: %s", s.page.body)
	}
	f.srv.SetUser("7310000000000000099") // logging in as someone else later changes nothing for this page
	p := f.answer(s.form("approve"), s.cookie, nil)
	u := p.location(t)
	if p.status != http.StatusSeeOther || u.Query().Get("state") != "st-1" || u.Query().Get("code") == "" {
		t.Fatalf("%d %s", p.status, u)
	}
	wantUserTokens(t, f, f.exchangeWeb(u.Query().Get("code")), emulator.DefaultUser)
	// Answered once.
	pageError(t, f.answer(s.form("approve"), s.cookie, nil), 403, "access_denied")
}

func TestConsentDeny(t *testing.T) {
	f := askFixture(t)
	s := f.askPage(authQuery(pkceApp, "code_challenge", s256(verifier), "code_challenge_method", "S256"))
	p := f.answer(s.form("deny"), s.cookie, nil)
	u := p.location(t)
	if p.status != http.StatusSeeOther || u.Query().Get("error") != "access_denied" || u.Query().Get("state") != "st-1" || u.Query().Has("code") {
		t.Fatalf("%d %s", p.status, u)
	}
	pageError(t, f.answer(s.form("approve"), s.cookie, nil), 403, "access_denied")
}

func TestConsentEscapesWhatItShows(t *testing.T) {
	f := askFixture(t)
	path := strings.Replace(authQuery(webApp), authPath, "/api/permission/oauth2/workspace_id/%3Cscript%3Ex/authorize", 1)
	s := f.askPage(path)
	if strings.Contains(s.page.body, "<script>") || !strings.Contains(s.page.body, "&lt;script&gt;") {
		t.Errorf("workspace not escaped: %s", s.page.body)
	}
}

// TestConsentRefusals: an answer counts only from the browser the page was
// shown to, with its form token, once, in time; a refused answer changes
// nothing.
func TestConsentRefusals(t *testing.T) {
	cases := []struct {
		name   string
		answer func(f *fixture, s shown) page
		status int
		code   string
	}{
		{"no cookie", func(f *fixture, s shown) page { return f.answer(s.form("approve"), nil, nil) }, 403, "access_denied"},
		{"cookie of another consent page", func(f *fixture, s shown) page {
			other := f.askPage(authQuery(webApp))
			return f.answer(s.form("approve"), &http.Cookie{Name: s.cookie.Name, Value: other.cookie.Value}, nil)
		}, 403, "access_denied"},
		{"wrong form token", func(f *fixture, s shown) page {
			v := s.form("approve")
			v.Set("csrf_token", flipLast(s.csrf))
			return f.answer(v, s.cookie, nil)
		}, 403, "access_denied"},
		{"no form token", func(f *fixture, s shown) page {
			v := s.form("approve")
			v.Del("csrf_token")
			return f.answer(v, s.cookie, nil)
		}, 403, "access_denied"},
		{"unknown consent id", func(f *fixture, s shown) page {
			v := s.form("approve")
			v.Set("consent_id", flipLast(s.id))
			return f.answer(v, s.cookie, nil)
		}, 403, "access_denied"},
		{"expired", func(f *fixture, s shown) page {
			f.clk.Add(emulator.DefaultCodeTTL)
			return f.answer(s.form("approve"), s.cookie, nil)
		}, 403, "access_denied"},
		{"cross-site post", func(f *fixture, s shown) page {
			return f.answer(s.form("approve"), s.cookie, func(r *http.Request) { r.Header.Set("Sec-Fetch-Site", "cross-site") })
		}, 403, "access_denied"},
		{"unknown decision", func(f *fixture, s shown) page { return f.answer(s.form("maybe"), s.cookie, nil) }, 400, "invalid_request"},
		{"JSON body", func(f *fixture, s shown) page {
			return f.answer(s.form("approve"), s.cookie, func(r *http.Request) { r.Header.Set("Content-Type", "application/json") })
		}, 400, "invalid_request"},
		{"oversized form", func(f *fixture, s shown) page {
			v := s.form("approve")
			v.Set("pad", strings.Repeat("x", 5<<10))
			return f.answer(v, s.cookie, nil)
		}, 413, "invalid_request"},
		{"GET", func(f *fixture, s shown) page { return f.get(emulator.ConsentPath + "?" + s.form("approve").Encode()) }, 405, "invalid_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := askFixture(t)
			s := f.askPage(authQuery(webApp))
			pageError(t, tc.answer(f, s), tc.status, tc.code)
			if tc.name == "expired" {
				return
			}
			// Still answerable by its own browser.
			p := f.answer(s.form("approve"), s.cookie, nil)
			if p.status != http.StatusSeeOther || p.location(t).Query().Get("code") == "" {
				t.Errorf("after the refusal: %d %s", p.status, p.body)
			}
		})
	}
}

// flipLast changes the last character of s.
func flipLast(s string) string {
	last := byte('A')
	if s[len(s)-1] == 'A' {
		last = 'B'
	}
	return s[:len(s)-1] + string(last)
}
