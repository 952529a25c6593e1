package emulator_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/emulator"
)

// grantWorld is an emulator holding one live credential of every
// user-delegated grant, and the values that stand for them in fuzz inputs.
type grantWorld struct {
	srv  *emulator.Server
	vals map[string]string // placeholder -> value
}

func newGrantWorld(t testing.TB) *grantWorld {
	now := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	srv := emulator.New(emulator.Options{Approve: emulator.ApproveAuto, Now: func() time.Time { return now }})
	srv.AddApp(app1)
	srv.AddWebApp(webApp, webSecret, redirect)
	srv.AddPKCEApp(pkceApp, redirect)
	srv.AddDeviceApp(deviceApp)
	serve := func(method, target, ctype, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, target, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	codeOf := func(path string) string {
		loc, err := url.Parse(serve(http.MethodGet, path, "", "").Header().Get("Location"))
		if err != nil || loc.Query().Get("code") == "" {
			t.Fatalf("no code from %s", path)
		}
		return loc.Query().Get("code")
	}
	var dev struct {
		DeviceCode string `json:"device_code"`
		UserCode   string `json:"user_code"`
	}
	rec := serve(http.MethodPost, devicePath, "application/json", `{"client_id":"`+deviceApp+`"}`)
	_ = json.Unmarshal(rec.Body.Bytes(), &dev)
	if !strings.Contains(serve(http.MethodGet, emulator.VerifyPath+"?user_code="+dev.UserCode, "", "").Body.String(), `data-result="approved"`) || dev.DeviceCode == "" {
		t.Fatal("device approval failed")
	}
	return &grantWorld{srv: srv, vals: map[string]string{
		"{WEBCODE}":  codeOf(authQuery(webApp)),
		"{PKCECODE}": codeOf(authQuery(pkceApp, "code_challenge", s256(verifier), "code_challenge_method", "S256")),
		"{DC}":       dev.DeviceCode,
		"{WEBRT}":    srv.IssueRefreshToken(webApp, "u"),
		"{PKCERT}":   srv.IssueRefreshToken(pkceApp, "u"),
		"{SECRET}":   webSecret,
		"{VERIFIER}": verifier,
	}}
}

func (w *grantWorld) fill(s string) string {
	for k, v := range w.vals {
		s = strings.ReplaceAll(s, k, v)
	}
	return s
}

// post sends a token request straight to the handler.
func (w *grantWorld) post(body, auth string) (int, map[string]any, []byte) {
	req := httptest.NewRequest(http.MethodPost, tokenPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header["Authorization"] = []string{auth}
	}
	rec := httptest.NewRecorder()
	w.srv.ServeHTTP(rec, req)
	var m map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &m)
	return rec.Code, m, rec.Body.Bytes()
}

// entitled is the oracle: whether a token request presents one of the live
// credentials exactly as its grant requires.
func (w *grantWorld) entitled(body, auth string) bool {
	dec := json.NewDecoder(strings.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil || m == nil || dec.More() {
		return false
	}
	str := func(k string) string {
		switch v := m[k].(type) {
		case string:
			return v
		case json.Number:
			if k == "client_id" {
				return v.String()
			}
		}
		return ""
	}
	if d, ok := m["duration_seconds"]; ok && d != nil {
		n, isNum := d.(json.Number)
		i, err := n.Int64()
		if !isNum || err != nil || i < 1 || i > emulator.MaxDurationSeconds {
			return false
		}
	}
	if sc, ok := m["scope"]; ok && sc != nil {
		if _, isObj := sc.(map[string]any); !isObj {
			return false
		}
	}
	scheme, cred, _ := strings.Cut(auth, " ")
	secretOK := strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(cred) == webSecret
	v := w.vals
	client := str("client_id")
	switch str("grant_type") {
	case "authorization_code":
		if str("redirect_uri") != redirect {
			return false
		}
		return client == webApp && str("code") == v["{WEBCODE}"] && secretOK && str("code_verifier") == "" ||
			client == pkceApp && str("code") == v["{PKCECODE}"] && str("code_verifier") == verifier
	case emulator.GrantDeviceCode:
		return client == deviceApp && str("device_code") == v["{DC}"]
	case "refresh_token":
		return client == webApp && str("refresh_token") == v["{WEBRT}"] && secretOK ||
			client == pkceApp && str("refresh_token") == v["{PKCERT}"]
	}
	return false
}

// FuzzTokenGrants feeds token requests of every grant to the emulator.
// Placeholders such as {WEBCODE} in the inputs stand for a live credential.
// It must never panic, answer every refusal in Coze's error shape without a
// token, answer tokens exactly to the requests the oracle entitles, and
// never answer tokens twice for the same request.
func FuzzTokenGrants(f *testing.F) {
	f.Add(`{"grant_type":"authorization_code","client_id":"`+webApp+`","code":"{WEBCODE}","redirect_uri":"`+redirect+`"}`, "Bearer {SECRET}")
	f.Add(`{"grant_type":"authorization_code","client_id":"`+pkceApp+`","code":"{PKCECODE}","redirect_uri":"`+redirect+`","code_verifier":"{VERIFIER}"}`, "")
	f.Add(`{"grant_type":"urn:ietf:params:oauth:grant-type:device_code","client_id":"`+deviceApp+`","device_code":"{DC}"}`, "")
	f.Add(`{"grant_type":"refresh_token","client_id":`+webApp+`,"refresh_token":"{WEBRT}"}`, "bearer  {SECRET}")
	f.Add(`{"grant_type":"refresh_token","client_id":"`+pkceApp+`","refresh_token":"{PKCERT}","duration_seconds":60}`, "")
	f.Add(`{"grant_type":"refresh_token","client_id":"`+pkceApp+`","refresh_token":"{WEBRT}"}`, "")
	f.Add(`{"grant_type":"authorization_code","client_id":"`+pkceApp+`","code":"{PKCECODE}","redirect_uri":"`+redirect+`","code_verifier":"{VERIFIER}x"}`, "")
	f.Add(`{"grant_type":"authorization_code","client_id":"`+webApp+`","code":"{WEBCODE}","redirect_uri":"`+redirect+`","code":null}`, "Bearer {SECRET}")
	f.Add(`{"grant_type":"refresh_token","client_id":"`+webApp+`","refresh_token":"{WEBRT}","refresh_token":"{PKCERT}"}`, "Bearer {SECRET}")
	f.Add(`{"grant_type":"urn:ietf:params:oauth:grant-type:jwt-bearer"}`, "Bearer a.b.c")
	f.Fuzz(func(t *testing.T, body, auth string) {
		w := newGrantWorld(t)
		body, auth = w.fill(body), w.fill(auth)
		entitled := w.entitled(body, auth)
		for attempt := range 2 {
			status, m, raw := w.post(body, auth)
			if attempt == 0 && entitled && status != 200 {
				t.Fatalf("an entitled request was refused: %d %s for body %q auth %q", status, raw, body, auth)
			}
			if status == 200 {
				if attempt == 1 {
					t.Fatalf("the same request got tokens twice: %q", body)
				}
				if !entitled {
					t.Fatalf("tokens for a request not entitled to them: body %q auth %q", body, auth)
				}
				if at, _ := m["access_token"].(string); !strings.HasPrefix(at, "czs_") || m["refresh_token"] == nil {
					t.Fatalf("success without tokens: %s", raw)
				}
				continue
			}
			if status < 400 || status >= 500 {
				t.Fatalf("status %d for %q", status, body)
			}
			code, _ := m["error_code"].(string)
			if code == "" || m["error"] != code || m["error_message"] == nil || bytes.Contains(raw, []byte("czs_")) || m["refresh_token"] != nil {
				t.Fatalf("refusal not in Coze's shape or carrying a token: %s", raw)
			}
		}
	})
}
