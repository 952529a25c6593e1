package coze_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

func TestErrorString(t *testing.T) {
	tests := []struct {
		e    coze.Error
		want string
	}{
		{coze.Error{Status: 401, Code: "invalid_client", Message: "invalid jwt: kid not been registred", LogID: "20260101LOG"},
			"coze refused: HTTP 401 invalid_client: invalid jwt: kid not been registred (log id 20260101LOG)"},
		{coze.Error{Status: 400, Code: "invalid_request"}, "coze refused: HTTP 400 invalid_request"},
		{coze.Error{Status: 502, Message: "Bad Gateway"}, "coze refused: HTTP 502: Bad Gateway"},
		{coze.Error{Status: 500}, "coze refused: HTTP 500"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestErrorTemporary(t *testing.T) {
	tests := []struct {
		status int
		want   bool
	}{
		{400, false}, {401, false}, {403, false}, {404, false}, {409, false},
		{429, true}, {500, true}, {502, true}, {503, true}, {504, true},
	}
	for _, tt := range tests {
		if got := (&coze.Error{Status: tt.status}).Temporary(); got != tt.want {
			t.Errorf("Temporary() for HTTP %d = %v, want %v", tt.status, got, tt.want)
		}
	}
}

func TestUnreachableError(t *testing.T) {
	inner := errors.New("connection refused")
	e := &coze.UnreachableError{URL: "https://api.coze.cn/api/permission/oauth2/token", Err: inner}
	if got := e.Error(); !strings.Contains(got, "unreachable") || !strings.Contains(got, e.URL) || !strings.Contains(got, "connection refused") {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(e, inner) {
		t.Error("errors.Is does not see the wrapped error")
	}
	to := &coze.UnreachableError{URL: "u", Timeout: true, Err: context.DeadlineExceeded}
	if got := to.Error(); !strings.Contains(got, "did not answer in time") {
		t.Errorf("timeout Error() = %q", got)
	}
	if !errors.Is(to, context.DeadlineExceeded) {
		t.Error("errors.Is(timeout, DeadlineExceeded) = false")
	}
}

func TestAsError(t *testing.T) {
	ce := &coze.Error{Status: 401, Code: coze.CodeInvalidClient}
	if got, ok := coze.AsError(fmt.Errorf("mint: %w", ce)); !ok || got != ce {
		t.Errorf("AsError(wrapped) = %v, %v", got, ok)
	}
	if got, ok := coze.AsError(errors.New("plain")); ok || got != nil {
		t.Errorf("AsError(plain) = %v, %v", got, ok)
	}
	if _, ok := coze.AsError(nil); ok {
		t.Error("AsError(nil) reported an error")
	}
}

func TestTokenValid(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		tok    *coze.Token
		margin time.Duration
		want   bool
	}{
		{"nil", nil, 0, false},
		{"empty access token", &coze.Token{ExpiresAt: now.Add(time.Hour)}, 0, false},
		{"fresh", &coze.Token{AccessToken: "czs_x", ExpiresAt: now.Add(time.Hour)}, 30 * time.Second, true},
		{"inside margin", &coze.Token{AccessToken: "czs_x", ExpiresAt: now.Add(20 * time.Second)}, 30 * time.Second, false},
		{"exactly at margin", &coze.Token{AccessToken: "czs_x", ExpiresAt: now.Add(30 * time.Second)}, 30 * time.Second, false},
		{"expired", &coze.Token{AccessToken: "czs_x", ExpiresAt: now.Add(-time.Second)}, 0, false},
		{"zero expiry", &coze.Token{AccessToken: "czs_x"}, 0, false},
	}
	for _, tt := range tests {
		if got := tt.tok.Valid(now, tt.margin); got != tt.want {
			t.Errorf("%s: Valid = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestValidDuration(t *testing.T) {
	for _, d := range []int{1, 60, coze.DefaultDuration, coze.MaxDuration} {
		if err := coze.ValidDuration(d); err != nil {
			t.Errorf("ValidDuration(%d): %v", d, err)
		}
	}
	for _, d := range []int{-1, 0, coze.MaxDuration + 1, 99999} {
		err := coze.ValidDuration(d)
		if err == nil {
			t.Errorf("ValidDuration(%d) = nil", d)
		} else if !strings.Contains(err.Error(), "86399") {
			t.Errorf("ValidDuration(%d) = %q, want the allowed range", d, err)
		}
	}
}

func TestParseOAuthConfig(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    coze.OAuthConfig
		wantErr string
	}{
		{"jwt", `{"client_type":"jwt","client_id":"1171234567890","private_key":"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n","public_key_id":"kid1","coze_api_base":"https://api.coze.com","coze_www_base":"https://www.coze.com"}`,
			coze.OAuthConfig{ClientType: "jwt", ClientID: "1171234567890", PrivateKey: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", PublicKeyID: "kid1", APIBase: "https://api.coze.com", WWWBase: "https://www.coze.com"}, ""},
		{"web with unknown fields", `{"client_type":"web","client_id":"42","client_secret":"s","redirect_uris":["http://localhost/cb"],"new_console_field":{"x":1}}`,
			coze.OAuthConfig{ClientType: "web", ClientID: "42", ClientSecret: "s", RedirectURIs: []string{"http://localhost/cb"}}, ""},
		{"missing client_type", `{"client_id":"42"}`, coze.OAuthConfig{}, "client_type and client_id are required"},
		{"missing client_id", `{"client_type":"jwt"}`, coze.OAuthConfig{}, "client_type and client_id are required"},
		{"not JSON", `client_type: jwt`, coze.OAuthConfig{}, "not a coze_oauth_config.json"},
		{"empty", ``, coze.OAuthConfig{}, "not a coze_oauth_config.json"},
		{"client_id a number", `{"client_type":"jwt","client_id":1171234567890}`, coze.OAuthConfig{}, "not a coze_oauth_config.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := coze.ParseOAuthConfig([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseOAuthConfig = %+v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprintf("%+v", *got) != fmt.Sprintf("%+v", tt.want) {
				t.Errorf("ParseOAuthConfig = %+v, want %+v", *got, tt.want)
			}
		})
	}
}
