package coze_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// seenRequest is what a recording server saw of one request.
type seenRequest struct {
	Method, Path, ContentType string
	Authorization             []string // every Authorization line, none when absent
	Body                      map[string]any
}

// recorder answers every request with answer and keeps what it saw.
type recorder struct {
	mu   sync.Mutex
	seen []seenRequest
}

func (rec *recorder) requests() []seenRequest {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return slices.Clone(rec.seen)
}

func newRecorder(t *testing.T, answer func(w http.ResponseWriter, r *http.Request)) (*recorder, *httptest.Server) {
	t.Helper()
	rec := &recorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		s := seenRequest{Method: r.Method, Path: r.URL.Path, ContentType: r.Header.Get("Content-Type"), Authorization: r.Header.Values("Authorization")}
		if err := json.Unmarshal(b, &s.Body); err != nil {
			t.Errorf("request body is not a JSON object: %v (%s)", err, b)
		}
		rec.mu.Lock()
		rec.seen = append(rec.seen, s)
		rec.mu.Unlock()
		w.Header().Set("X-Tt-Logid", "20260101000000ABCDEF0123456789ABCDEF")
		answer(w, r)
	}))
	t.Cleanup(srv.Close)
	return rec, srv
}

func tokenAnswer(w http.ResponseWriter, _ *http.Request) {
	fmt.Fprintf(w, `{"access_token":"czs_new","expires_in":%d,"token_type":"Bearer","refresh_token":"rt_rotated"}`, time.Now().Add(15*time.Minute).Unix())
}

// checkRequest compares one recorded request with the protocol table.
func checkRequest(t *testing.T, got seenRequest, path, authz string, body map[string]any) {
	t.Helper()
	if got.Method != http.MethodPost || got.Path != path || got.ContentType != "application/json" {
		t.Errorf("request %s %s (%s), want POST %s (application/json)", got.Method, got.Path, got.ContentType, path)
	}
	switch {
	case authz == "" && len(got.Authorization) != 0:
		t.Errorf("Authorization %q sent, want none", got.Authorization)
	case authz != "" && !slices.Equal(got.Authorization, []string{authz}):
		t.Errorf("Authorization %q, want exactly %q", got.Authorization, authz)
	}
	if fmt.Sprint(got.Body) != fmt.Sprint(body) {
		t.Errorf("body %v\nwant %v", got.Body, body)
	}
}

const (
	webSecret    = "cs_web_secret_0123456789"
	pkceVerifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	redirectURI  = "https://app.example/cozeauth/oauth/callback"
)

// TestGrantRequests holds each grant to the protocol table: method, path,
// Authorization and the exact JSON body fields.
func TestGrantRequests(t *testing.T) {
	tests := []struct {
		name  string
		call  func(c *coze.Client, apiBase string) (*coze.Token, error)
		path  string
		authz string
		body  map[string]any
	}{
		{"web code", func(c *coze.Client, api string) (*coze.Token, error) {
			return c.CodeToken(context.Background(), coze.CodeRequest{TokenURL: coze.TokenURL(api, "", ""), ClientID: "42", ClientSecret: webSecret, Code: "code_abc", RedirectURI: redirectURI})
		}, "/api/permission/oauth2/token", "Bearer " + webSecret,
			map[string]any{"grant_type": "authorization_code", "client_id": "42", "code": "code_abc", "redirect_uri": redirectURI}},
		{"PKCE code", func(c *coze.Client, api string) (*coze.Token, error) {
			return c.CodeToken(context.Background(), coze.CodeRequest{TokenURL: coze.TokenURL(api, "", ""), ClientID: "43", Code: "code_def", RedirectURI: redirectURI, CodeVerifier: pkceVerifier})
		}, "/api/permission/oauth2/token", "",
			map[string]any{"grant_type": "authorization_code", "client_id": "43", "code": "code_def", "redirect_uri": redirectURI, "code_verifier": pkceVerifier}},
		{"web refresh", func(c *coze.Client, api string) (*coze.Token, error) {
			return c.RefreshToken(context.Background(), coze.RefreshRequest{TokenURL: coze.TokenURL(api, "", ""), ClientID: "42", ClientSecret: webSecret, RefreshToken: "rt_old"})
		}, "/api/permission/oauth2/token", "Bearer " + webSecret,
			map[string]any{"grant_type": "refresh_token", "client_id": "42", "refresh_token": "rt_old"}},
		{"PKCE or device refresh", func(c *coze.Client, api string) (*coze.Token, error) {
			return c.RefreshToken(context.Background(), coze.RefreshRequest{TokenURL: coze.TokenURL(api, "", ""), ClientID: "44", RefreshToken: "rt_old"})
		}, "/api/permission/oauth2/token", "",
			map[string]any{"grant_type": "refresh_token", "client_id": "44", "refresh_token": "rt_old"}},
		{"device poll", func(c *coze.Client, api string) (*coze.Token, error) {
			return c.DeviceToken(context.Background(), coze.DeviceTokenRequest{TokenURL: coze.TokenURL(api, "", ""), ClientID: "45", DeviceCode: "dc_123"})
		}, "/api/permission/oauth2/token", "",
			map[string]any{"grant_type": "urn:ietf:params:oauth:grant-type:device_code", "client_id": "45", "device_code": "dc_123"}},
		{"refresh on the account endpoint", func(c *coze.Client, api string) (*coze.Token, error) {
			return c.RefreshToken(context.Background(), coze.RefreshRequest{TokenURL: coze.TokenURL(api, "881", ""), ClientID: "44", RefreshToken: "rt_old"})
		}, "/api/permission/oauth2/account/881/token", "",
			map[string]any{"grant_type": "refresh_token", "client_id": "44", "refresh_token": "rt_old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, srv := newRecorder(t, tokenAnswer)
			tok, err := tt.call(fastClient(3), srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			if tok.AccessToken != "czs_new" || tok.RefreshToken != "rt_rotated" {
				t.Errorf("token %+v, want the answer's access and refresh tokens", tok)
			}
			seen := rec.requests()
			if len(seen) != 1 {
				t.Fatalf("%d requests, want 1", len(seen))
			}
			checkRequest(t, seen[0], tt.path, tt.authz, tt.body)
		})
	}
}

func TestDeviceCodeRequest(t *testing.T) {
	for _, tt := range []struct{ workspace, path string }{
		{"", "/api/permission/oauth2/device/code"},
		{"7390000000000000001", "/api/permission/oauth2/workspace_id/7390000000000000001/device/code"},
	} {
		rec, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"device_code":"dc_123","user_code":"WDJB-MJHT","verification_uri":"https://www.coze.cn/device","expires_in":300,"interval":5}`)
		})
		before := time.Now()
		d, err := fastClient(3).DeviceCode(context.Background(), coze.DeviceCodeRequest{APIBase: srv.URL, ClientID: "45", WorkspaceID: tt.workspace})
		if err != nil {
			t.Fatal(err)
		}
		seen := rec.requests()
		if len(seen) != 1 {
			t.Fatalf("%d requests, want 1", len(seen))
		}
		checkRequest(t, seen[0], tt.path, "", map[string]any{"client_id": "45"})
		if d.DeviceCode != "dc_123" || d.UserCode != "WDJB-MJHT" || d.VerificationURI != "https://www.coze.cn/device" || d.Interval != 5*time.Second {
			t.Errorf("device authorization %+v", d)
		}
		// expires_in is a lifetime in seconds here (Coze's device docs).
		if d.ExpiresAt.Before(before.Add(300*time.Second)) || d.ExpiresAt.After(time.Now().Add(300*time.Second)) {
			t.Errorf("ExpiresAt %v, want about 300 s from now", d.ExpiresAt)
		}
		if got, want := d.VerificationURL(), "https://www.coze.cn/device?user_code=WDJB-MJHT"; got != want {
			t.Errorf("VerificationURL = %q, want %q", got, want)
		}
	}
}

// TestGrantInputsRefused: a request that cannot be right is refused with
// a message naming the field, before anything is sent, and never quotes
// the secret.
func TestGrantInputsRefused(t *testing.T) {
	rec, srv := newRecorder(t, tokenAnswer)
	url := coze.TokenURL(srv.URL, "", "")
	c := fastClient(3)
	ctx := context.Background()
	tests := []struct {
		name, want string
		call       func() error
	}{
		{"code without secret or verifier", "neither a client secret", func() error {
			_, err := c.CodeToken(ctx, coze.CodeRequest{TokenURL: url, ClientID: "1", Code: "c", RedirectURI: redirectURI})
			return err
		}},
		{"code with both", "both a client secret and a PKCE code verifier", func() error {
			_, err := c.CodeToken(ctx, coze.CodeRequest{TokenURL: url, ClientID: "1", Code: "c", RedirectURI: redirectURI, ClientSecret: webSecret, CodeVerifier: pkceVerifier})
			return err
		}},
		{"code without code", "code is empty", func() error {
			_, err := c.CodeToken(ctx, coze.CodeRequest{TokenURL: url, ClientID: "1", RedirectURI: redirectURI, ClientSecret: webSecret})
			return err
		}},
		{"code with a line break", "code has a space, a line break", func() error {
			_, err := c.CodeToken(ctx, coze.CodeRequest{TokenURL: url, ClientID: "1", Code: "c\r\nX: y", RedirectURI: redirectURI, ClientSecret: webSecret})
			return err
		}},
		{"short verifier", "43 to 128 characters", func() error {
			_, err := c.CodeToken(ctx, coze.CodeRequest{TokenURL: url, ClientID: "1", Code: "c", RedirectURI: redirectURI, CodeVerifier: "short"})
			return err
		}},
		{"secret with a newline", "client secret has a space, a line break", func() error {
			_, err := c.RefreshToken(ctx, coze.RefreshRequest{TokenURL: url, ClientID: "1", ClientSecret: webSecret + "\n", RefreshToken: "rt"})
			return err
		}},
		{"refresh without client id", "client_id is empty", func() error {
			_, err := c.RefreshToken(ctx, coze.RefreshRequest{TokenURL: url, RefreshToken: "rt"})
			return err
		}},
		{"refresh without token", "refresh token is empty", func() error {
			_, err := c.RefreshToken(ctx, coze.RefreshRequest{TokenURL: url, ClientID: "1"})
			return err
		}},
		{"device code without client id", "client_id is empty", func() error {
			_, err := c.DeviceCode(ctx, coze.DeviceCodeRequest{APIBase: srv.URL})
			return err
		}},
		{"device poll without device code", "device_code is empty", func() error {
			_, err := c.DeviceToken(ctx, coze.DeviceTokenRequest{TokenURL: url, ClientID: "1"})
			return err
		}},
		{"poll without authorization", "call DeviceCode first", func() error {
			_, err := c.PollDevice(ctx, coze.DevicePoll{TokenURL: url, ClientID: "1"})
			return err
		}},
	}
	for _, tt := range tests {
		err := tt.call()
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		} else if strings.Contains(err.Error(), webSecret) {
			t.Errorf("%s: error %q quotes the client secret", tt.name, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent for refused input", n)
	}
}
