package emulator_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/emulator"
)

const (
	webApp     = "1180000000001"
	webApp2    = "1180000000004"
	webSecret  = "web-secret-0123456789abcdef"
	pkceApp    = "1180000000002"
	deviceApp  = "1180000000003"
	redirect   = "https://app.example/oauth/callback"
	authPath   = "/api/permission/oauth2/authorize"
	devicePath = "/api/permission/oauth2/device/code"
	// verifier is a valid PKCE code_verifier (43 unreserved characters).
	verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
)

// s256 is the S256 code_challenge of v.
func s256(v string) string {
	sum := sha256.Sum256([]byte(v))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// newUserFixture is newFixture with a web app (and a second one), a PKCE
// app and a device app registered, approving consents automatically unless
// mut says otherwise.
func newUserFixture(t *testing.T, mut func(*emulator.Options)) *fixture {
	t.Helper()
	f := newFixture(t, func(o *emulator.Options) {
		o.Approve = emulator.ApproveAuto
		if mut != nil {
			mut(o)
		}
	})
	f.srv.AddWebApp(webApp, webSecret, redirect, "http://127.0.0.1:8080/cb")
	f.srv.AddWebApp(webApp2, "other-secret", redirect)
	f.srv.AddPKCEApp(pkceApp, redirect)
	f.srv.AddDeviceApp(deviceApp)
	return f
}

// page is a raw answer of a browser-facing endpoint.
type page struct {
	status int
	header http.Header
	body   string
}

// location parses the answer's Location header.
func (p page) location(t *testing.T) *url.URL {
	t.Helper()
	u, err := url.Parse(p.header.Get("Location"))
	if err != nil || p.header.Get("Location") == "" {
		t.Fatalf("no usable Location in %d answer: %q", p.status, p.header.Get("Location"))
	}
	return u
}

// browse sends a request without following redirects.
func (f *fixture) browse(req *http.Request) page {
	f.t.Helper()
	c := *f.hs.Client()
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	res, err := c.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if !logidRE.MatchString(res.Header.Get("X-Tt-Logid")) {
		f.t.Errorf("%s %s: bad X-Tt-Logid %q", req.Method, req.URL.Path, res.Header.Get("X-Tt-Logid"))
	}
	return page{status: res.StatusCode, header: res.Header, body: string(b)}
}

// get browses GET path.
func (f *fixture) get(path string) page {
	f.t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.hs.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.browse(req)
}

// authQuery is an authorize query for client with state "st-1" and extra
// key/value pairs.
func authQuery(client string, kv ...string) string {
	q := url.Values{"response_type": {"code"}, "client_id": {client}, "redirect_uri": {redirect}, "state": {"st-1"}}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			q.Del(kv[i])
		} else {
			q.Set(kv[i], kv[i+1])
		}
	}
	return authPath + "?" + q.Encode()
}

// code runs an auto-approved authorize request and returns the code.
func (f *fixture) code(path string) string {
	f.t.Helper()
	p := f.get(path)
	if p.status != http.StatusFound {
		f.t.Fatalf("authorize: %d %s", p.status, p.body)
	}
	u := p.location(f.t)
	if u.Query().Get("state") != "st-1" || u.Query().Get("code") == "" {
		f.t.Fatalf("authorize redirected to %s", u)
	}
	return u.Query().Get("code")
}

// token posts a JSON body to the token endpoint with an optional bearer.
func (f *fixture) token(body map[string]any, bearer string) response {
	f.t.Helper()
	b, _ := json.Marshal(body)
	auth := ""
	if bearer != "" {
		auth = "Bearer " + bearer
	}
	return f.do(context.Background(), http.MethodPost, tokenPath, "application/json", auth, string(b))
}

// exchangeWeb redeems a web app's code with its secret.
func (f *fixture) exchangeWeb(code string) response {
	f.t.Helper()
	return f.token(map[string]any{"grant_type": "authorization_code", "client_id": webApp,
		"code": code, "redirect_uri": redirect}, webSecret)
}

// refresh redeems a refresh token for client (with the web secret for webApp).
func (f *fixture) refresh(client, rt string) response {
	f.t.Helper()
	secret := ""
	if client == webApp {
		secret = webSecret
	}
	return f.token(map[string]any{"grant_type": "refresh_token", "client_id": client, "refresh_token": rt}, secret)
}

// wantUserTokens checks a user grant's answer (900 s, a refresh token, an
// access token that users/me accepts as user) and returns both tokens.
func wantUserTokens(t *testing.T, f *fixture, r response, user string) (access, refresh string) {
	t.Helper()
	access = wantOK(t, f, r, 900)
	refresh = r.str("refresh_token")
	if len(refresh) < 32 || refresh == access {
		t.Errorf("refresh_token %q", refresh)
	}
	f.wantMe(access, user)
	return access, refresh
}

// wantOAuth checks Coze's token-endpoint error shape, status and code, an
// error_message containing msgHas, and that no token leaked into it.
func wantOAuth(t *testing.T, r response, status int, code, msgHas string) {
	t.Helper()
	if r.err != nil {
		t.Fatalf("transport: %v", r.err)
	}
	if r.status != status || r.str("error") != code || r.str("error_code") != code {
		t.Errorf("got %d %s, want %d %s", r.status, r.raw, status, code)
	}
	if !strings.Contains(r.str("error_message"), msgHas) {
		t.Errorf("error_message %q lacks %q", r.str("error_message"), msgHas)
	}
	if r.body["access_token"] != nil || r.body["refresh_token"] != nil {
		t.Errorf("error answer carries a token: %s", r.raw)
	}
}

// pageError decodes a browser-facing endpoint's JSON error answer.
func pageError(t *testing.T, p page, status int, code string) {
	t.Helper()
	var e map[string]string
	if p.status != status || json.Unmarshal([]byte(p.body), &e) != nil || e["error_code"] != code || e["error"] != code || e["error_message"] == "" {
		t.Errorf("got %d %s, want %d with error_code %s", p.status, p.body, status, code)
	}
	if p.header.Get("Location") != "" {
		t.Errorf("an error answer redirects to %s", p.header.Get("Location"))
	}
}
