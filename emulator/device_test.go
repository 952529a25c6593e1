package emulator_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

var userCodeRE = regexp.MustCompile(`^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$`)

// deviceStart asks for a device code on path and checks the answer.
func (f *fixture) deviceStart(path string) (deviceCode, userCode string) {
	f.t.Helper()
	r := f.do(f.t.Context(), http.MethodPost, path, "application/json", "", `{"client_id":"`+deviceApp+`"}`)
	if r.status != 200 {
		f.t.Fatalf("device code: %d %s", r.status, r.raw)
	}
	if !userCodeRE.MatchString(r.str("user_code")) || len(r.str("device_code")) < 32 ||
		r.int("expires_in") != 300 || r.int("interval") != 5 || r.str("verification_uri") != f.hs.URL+emulator.VerifyPath {
		f.t.Errorf("device code answer %s", r.raw)
	}
	return r.str("device_code"), r.str("user_code")
}

// poll polls the token endpoint for deviceCode as client.
func (f *fixture) poll(client, deviceCode string) response {
	f.t.Helper()
	return f.token(map[string]any{"grant_type": emulator.GrantDeviceCode, "client_id": client, "device_code": deviceCode}, "")
}

func TestDeviceFlowAuto(t *testing.T) {
	f := newUserFixture(t, nil)
	dc, uc := f.deviceStart(devicePath)
	wantOAuth(t, f.poll(deviceApp, dc), 400, "authorization_pending", "not yet approved")
	// The person types the code loosely.
	p := f.get(emulator.VerifyPath + "?user_code=" + strings.ToLower(strings.Replace(uc, "-", "+", 1)))
	if p.status != 200 || !strings.Contains(p.body, `data-result="approved"`) {
		t.Fatalf("verify: %d %s", p.status, p.body)
	}
	f.clk.Add(5 * time.Second)
	_, rt := wantUserTokens(t, f, f.poll(deviceApp, dc), emulator.DefaultUser)
	if g, _ := f.srv.LastGrant(); g.GrantType != emulator.GrantDeviceCode || g.ClientID != deviceApp || g.User != emulator.DefaultUser {
		t.Errorf("grant %+v", g)
	}
	// The device code is single-use; its user code is answered.
	f.clk.Add(5 * time.Second)
	wantOAuth(t, f.poll(deviceApp, dc), 400, "invalid_grant", "already been used")
	pageError(t, f.get(emulator.VerifyPath+"?user_code="+uc), 400, "invalid_request")
	// A device grant refreshes without a secret.
	wantUserTokens(t, f, f.refresh(deviceApp, rt), emulator.DefaultUser)
	if f.srv.MintsByGrant(emulator.GrantDeviceCode) != 1 || f.srv.MintsByGrant(emulator.GrantRefreshToken) != 1 {
		t.Error("counters")
	}
}

func TestDeviceSlowDown(t *testing.T) {
	f := newUserFixture(t, nil)
	dc, uc := f.deviceStart(devicePath)
	wantOAuth(t, f.poll(deviceApp, dc), 400, "authorization_pending", "")
	f.clk.Add(4 * time.Second)
	wantOAuth(t, f.poll(deviceApp, dc), 400, "slow_down", "10 s")
	// The client now waits 10 s (5 + 5); 5 s more is still too fast.
	f.clk.Add(5 * time.Second)
	wantOAuth(t, f.poll(deviceApp, dc), 400, "slow_down", "15 s")
	f.clk.Add(15 * time.Second)
	wantOAuth(t, f.poll(deviceApp, dc), 400, "authorization_pending", "")
	f.get(emulator.VerifyPath + "?user_code=" + uc)
	f.clk.Add(15 * time.Second)
	wantUserTokens(t, f, f.poll(deviceApp, dc), emulator.DefaultUser)
}

func TestDeviceWithoutInterval(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.DeviceInterval = -1 })
	r := f.do(t.Context(), http.MethodPost, devicePath, "application/json", "", `{"client_id":"`+deviceApp+`"}`)
	if r.int("interval") != 0 {
		t.Errorf("interval %d", r.int("interval"))
	}
	for range 3 {
		wantOAuth(t, f.poll(deviceApp, r.str("device_code")), 400, "authorization_pending", "")
	}
}

func TestDeviceDenied(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.Approve = emulator.ApproveDeny })
	dc, uc := f.deviceStart(devicePath)
	p := f.get(emulator.VerifyPath + "?user_code=" + uc)
	if p.status != 200 || !strings.Contains(p.body, `data-result="denied"`) {
		t.Fatalf("verify: %d %s", p.status, p.body)
	}
	for range 2 {
		wantOAuth(t, f.poll(deviceApp, dc), 400, "access_denied", "denied")
		f.clk.Add(5 * time.Second)
	}
	f.srv.SetApprove(emulator.ApproveAuto) // too late: already answered
	pageError(t, f.get(emulator.VerifyPath+"?user_code="+uc), 400, "invalid_request")
	wantOAuth(t, f.poll(deviceApp, dc), 400, "access_denied", "")
}

func TestDeviceExpired(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.DeviceCodeTTL = time.Minute })
	r := f.do(t.Context(), http.MethodPost, devicePath, "application/json", "", `{"client_id":"`+deviceApp+`"}`)
	if r.int("expires_in") != 60 {
		t.Errorf("expires_in %d", r.int("expires_in"))
	}
	f.clk.Add(time.Minute)
	pageError(t, f.get(emulator.VerifyPath+"?user_code="+r.str("user_code")), 400, "invalid_request")
	wantOAuth(t, f.poll(deviceApp, r.str("device_code")), 400, "expired_token", "expired")
}

func TestDeviceConsentPage(t *testing.T) {
	f := askFixture(t)
	path := "/api/permission/oauth2/workspace_id/7400000000002/device/code"
	dc, uc := f.deviceStart(path)
	s := f.askPage(emulator.VerifyPath + "?user_code=" + uc)
	if !strings.Contains(s.page.body, uc) || !strings.Contains(s.page.body, "7400000000002") {
		t.Errorf("consent page lacks the user code or workspace: %s", s.page.body)
	}
	wantOAuth(t, f.poll(deviceApp, dc), 400, "authorization_pending", "")
	p := f.answer(s.form("approve"), s.cookie, nil)
	if p.status != 200 || !strings.Contains(p.body, `data-result="approved"`) {
		t.Fatalf("answer: %d %s", p.status, p.body)
	}
	f.clk.Add(5 * time.Second)
	wantUserTokens(t, f, f.poll(deviceApp, dc), emulator.DefaultUser)
	if g, _ := f.srv.LastGrant(); g.WorkspaceID != "7400000000002" {
		t.Errorf("grant %+v", g)
	}
	// And a denial through the page.
	dc2, uc2 := f.deviceStart(devicePath)
	s2 := f.askPage(emulator.VerifyPath + "?user_code=" + uc2)
	if p := f.answer(s2.form("deny"), s2.cookie, nil); !strings.Contains(p.body, `data-result="denied"`) {
		t.Errorf("deny: %d %s", p.status, p.body)
	}
	wantOAuth(t, f.poll(deviceApp, dc2), 400, "access_denied", "")
}

func TestDeviceUserCodeForm(t *testing.T) {
	f := askFixture(t)
	p := f.get(emulator.VerifyPath)
	if p.status != 200 || !strings.Contains(p.body, `id="user_code"`) || !strings.Contains(p.body, `name="user_code"`) {
		t.Errorf("form: %d %s", p.status, p.body)
	}
	pageError(t, f.get(emulator.VerifyPath+"?user_code=BBBB-BBBB"), 400, "invalid_request")
	pageError(t, f.get(emulator.VerifyPath+"?user_code="+strings.Repeat("B", 40)), 400, "invalid_request")
	req, _ := http.NewRequest(http.MethodPost, f.hs.URL+emulator.VerifyPath, nil)
	pageError(t, f.browse(req), 405, "invalid_request")
}

func TestDeviceWWWBase(t *testing.T) {
	f := newUserFixture(t, func(o *emulator.Options) { o.WWWBase = "https://www.coze.example/" })
	r := f.do(t.Context(), http.MethodPost, devicePath, "application/json", "", `{"client_id":"`+deviceApp+`"}`)
	if r.str("verification_uri") != "https://www.coze.example"+emulator.VerifyPath {
		t.Errorf("verification_uri %q", r.str("verification_uri"))
	}
}

func TestDeviceRefusals(t *testing.T) {
	start := []struct {
		name, method, path, ctype, body string
		status                          int
		code                            string
	}{
		{"unknown client", "POST", devicePath, "application/json", `{"client_id":"42"}`, 401, "invalid_client"},
		{"web app", "POST", devicePath, "application/json", `{"client_id":"` + webApp + `"}`, 403, "access_deny"},
		{"JWT app", "POST", devicePath, "application/json", `{"client_id":"` + app1 + `"}`, 403, "access_deny"},
		{"client_id missing", "POST", devicePath, "application/json", `{}`, 400, "invalid_request"},
		{"client_id a number", "POST", devicePath, "application/json", `{"client_id":1180000000003}`, 400, "invalid_request"},
		{"malformed JSON", "POST", devicePath, "application/json", `{"client_id":`, 400, "invalid_request"},
		{"form body", "POST", devicePath, "application/x-www-form-urlencoded", `client_id=` + deviceApp, 400, "invalid_request"},
		{"oversized", "POST", devicePath, "application/json", `{"client_id":"` + deviceApp + `","pad":"` + strings.Repeat("x", 65<<10) + `"}`, 413, "invalid_request"},
		{"GET", "GET", devicePath, "", "", 405, "invalid_request"},
		{"empty workspace", "POST", "/api/permission/oauth2/workspace_id//device/code", "application/json", `{"client_id":"` + deviceApp + `"}`, 404, ""},
	}
	for _, tc := range start {
		t.Run(tc.name, func(t *testing.T) {
			f := newUserFixture(t, nil)
			r := f.do(t.Context(), tc.method, tc.path, tc.ctype, "", tc.body)
			if tc.status == 404 {
				if r.status != 404 {
					t.Errorf("%d %s", r.status, r.raw)
				}
				return
			}
			wantOAuth(t, r, tc.status, tc.code, "")
			if r.body["device_code"] != nil {
				t.Error("a device code for a refused request")
			}
		})
	}
	t.Run("polls", func(t *testing.T) {
		f := newUserFixture(t, nil)
		dc, uc := f.deviceStart(devicePath)
		f.get(emulator.VerifyPath + "?user_code=" + uc)
		f.srv.AddDeviceApp("1180000000005")
		wantOAuth(t, f.poll("1180000000005", dc), 400, "invalid_grant", "not issued to this client_id")
		wantOAuth(t, f.poll(deviceApp, "x"+dc), 400, "invalid_grant", "invalid")
		wantOAuth(t, f.poll(deviceApp, ""), 400, "invalid_request", "device_code")
		wantOAuth(t, f.poll(webApp, dc), 403, "access_deny", "invalid app type")
		wantOAuth(t, f.poll("42", dc), 401, "invalid_client", "")
		wantOAuth(t, f.token(map[string]any{"grant_type": emulator.GrantDeviceCode, "device_code": dc}, ""), 400, "invalid_request", "client_id")
		wantOAuth(t, f.token(map[string]any{"grant_type": emulator.GrantDeviceCode, "client_id": deviceApp, "device_code": []string{dc}}, ""), 400, "invalid_request", "device_code must be a string")
		if f.srv.Mints() != 0 {
			t.Fatal("minted")
		}
		wantUserTokens(t, f, f.poll(deviceApp, dc), emulator.DefaultUser)
	})
}
