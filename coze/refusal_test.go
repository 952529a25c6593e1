package coze_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

func TestErrorClassification(t *testing.T) {
	e := func(status int, code, msg string) error {
		return fmt.Errorf("refresh: %w", &coze.Error{Status: status, Code: code, Message: msg})
	}
	unreachable := &coze.UnreachableError{URL: "u", Err: errors.New("reset")}
	type want struct{ dead, temporary, pending, slow, denied, expired bool }
	tests := []struct {
		name string
		err  error
		want want
	}{
		{"invalid_grant", e(400, "invalid_grant", "refresh token has been used"), want{dead: true}},
		{"expired_token", e(400, "expired_token", "refresh token expired"), want{dead: true, expired: true}},
		{"login session invalid", e(403, "access_deny", "Login session invalid"), want{dead: true}},
		{"app deactivated", e(403, "access_deny", "app: x is currently deactivated by the owner"), want{}},
		{"invalid_client", e(401, "invalid_client", "bad secret"), want{}},
		{"invalid_grant on a 5xx", e(502, "invalid_grant", ""), want{temporary: true}},
		{"500", e(500, "internal_error", ""), want{temporary: true}},
		{"429", e(429, "too_many_requests", ""), want{temporary: true}},
		{"unreachable", unreachable, want{temporary: true}},
		{"pending", e(400, "authorization_pending", ""), want{pending: true}},
		{"slow_down", e(400, "slow_down", ""), want{slow: true}},
		{"access_denied", e(400, "access_denied", ""), want{denied: true}},
		{"local expiry", fmt.Errorf("login: %w", coze.ErrDeviceCodeExpired), want{expired: true}},
		{"plain error", errors.New("invalid_grant"), want{}},
		{"nil", nil, want{}},
	}
	for _, tt := range tests {
		got := want{coze.IsDeadGrant(tt.err), coze.IsTemporary(tt.err), coze.IsPending(tt.err), coze.IsSlowDown(tt.err), coze.IsAccessDenied(tt.err), coze.IsExpiredToken(tt.err)}
		if got != tt.want {
			t.Errorf("%s: got %+v, want %+v", tt.name, got, tt.want)
		}
	}
}

// TestRefreshRefusalIsDeadGrant: Coze's refusal of a used refresh token
// reaches the caller as a dead grant, with Coze's code, message and log id
// kept, after one request, and without any secret of the request in it
// even when Coze echoes them.
func TestRefreshRefusalIsDeadGrant(t *testing.T) {
	const refresh = "rt_secret_0123456789"
	rec, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"invalid_grant","error_code":"invalid_grant","error_message":"refresh token `+refresh+` already used; secret `+webSecret+`"}`)
	})
	_, err := fastClient(3).RefreshToken(context.Background(), coze.RefreshRequest{
		TokenURL: coze.TokenURL(srv.URL, "", ""), ClientID: "42", ClientSecret: webSecret, RefreshToken: refresh})
	if !coze.IsDeadGrant(err) || coze.IsTemporary(err) {
		t.Fatalf("error = %v, want a dead grant, not temporary", err)
	}
	ce, _ := coze.AsError(err)
	if ce.Status != 400 || ce.Code != "invalid_grant" || ce.LogID == "" || !strings.Contains(ce.Message, "already used") {
		t.Errorf("error = %+v, want Coze's 400 invalid_grant with its message and log id", ce)
	}
	for _, s := range []string{refresh, webSecret} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("error %q carries a secret of the request", err)
		}
	}
	if n := len(rec.requests()); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
}

func TestDeviceErrorDescription(t *testing.T) {
	// The device flow's errors use RFC 6749's error and error_description.
	_, srv := newRecorder(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"error":"authorization_pending","error_description":"the user has not approved yet"}`)
	})
	_, err := fastClient(3).DeviceToken(context.Background(), coze.DeviceTokenRequest{TokenURL: coze.TokenURL(srv.URL, "", ""), ClientID: "45", DeviceCode: "dc_1"})
	ce, ok := coze.AsError(err)
	if !ok || !coze.IsPending(err) || ce.Message != "the user has not approved yet" {
		t.Fatalf("error = %#v, want authorization_pending with its description", err)
	}
}

func TestSetBearer(t *testing.T) {
	h := http.Header{"Authorization": {"Bearer cza_caller_key", "Basic x"}}
	coze.SetBearer(h, "czs_token")
	if got := h.Values("Authorization"); len(got) != 1 || got[0] != "Bearer czs_token" {
		t.Errorf("Authorization = %q, want exactly one Bearer czs_token", got)
	}
}
