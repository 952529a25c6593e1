package coze_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
)

func TestAuthorizeURL(t *testing.T) {
	tests := []struct {
		name string
		r    coze.AuthorizeRequest
		want string
	}{
		{"web", coze.AuthorizeRequest{WWWBase: "https://www.coze.cn", ClientID: "42", RedirectURI: redirectURI, State: "st_1"},
			"https://www.coze.cn/api/permission/oauth2/authorize?client_id=42&redirect_uri=https%3A%2F%2Fapp.example%2Fcozeauth%2Foauth%2Fcallback&response_type=code&state=st_1"},
		{"workspace, trailing slash", coze.AuthorizeRequest{WWWBase: "https://www.coze.com/", ClientID: "42", RedirectURI: redirectURI, State: "st_1", WorkspaceID: "7390000000000000001"},
			"https://www.coze.com/api/permission/oauth2/workspace_id/7390000000000000001/authorize?client_id=42&redirect_uri=https%3A%2F%2Fapp.example%2Fcozeauth%2Foauth%2Fcallback&response_type=code&state=st_1"},
		{"PKCE S256 by default", coze.AuthorizeRequest{WWWBase: "http://127.0.0.1:8090", ClientID: "43", RedirectURI: "http://127.0.0.1:8080/cb?x=1", State: "a b&c", CodeChallenge: coze.S256Challenge(pkceVerifier)},
			"http://127.0.0.1:8090/api/permission/oauth2/authorize?client_id=43&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fcb%3Fx%3D1&response_type=code&state=a+b%26c"},
		{"PKCE plain", coze.AuthorizeRequest{WWWBase: "https://www.coze.cn", ClientID: "43", RedirectURI: redirectURI, State: "s", CodeChallenge: pkceVerifier, ChallengeMethod: coze.ChallengePlain},
			"https://www.coze.cn/api/permission/oauth2/authorize?client_id=43&code_challenge=" + pkceVerifier + "&code_challenge_method=plain&redirect_uri=https%3A%2F%2Fapp.example%2Fcozeauth%2Foauth%2Fcallback&response_type=code&state=s"},
	}
	for _, tt := range tests {
		got, err := coze.AuthorizeURL(tt.r)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.name, got, tt.want)
		}
	}
}

func TestAuthorizeURLRefused(t *testing.T) {
	ok := coze.AuthorizeRequest{WWWBase: "https://www.coze.cn", ClientID: "42", RedirectURI: redirectURI, State: "s"}
	tests := []struct {
		name, want string
		edit       func(*coze.AuthorizeRequest)
	}{
		{"no state", "no state", func(r *coze.AuthorizeRequest) { r.State = "" }},
		{"no client id", "no client_id", func(r *coze.AuthorizeRequest) { r.ClientID = "" }},
		{"relative redirect", "not an absolute URL", func(r *coze.AuthorizeRequest) { r.RedirectURI = "/cb" }},
		{"redirect with fragment", "without a #fragment", func(r *coze.AuthorizeRequest) { r.RedirectURI += "#x" }},
		{"bad base", "not an http(s) URL", func(r *coze.AuthorizeRequest) { r.WWWBase = "www.coze.cn" }},
		{"base with query", "not an http(s) URL", func(r *coze.AuthorizeRequest) { r.WWWBase = "https://www.coze.cn/?x=1" }},
		{"method without challenge", "without a code_challenge", func(r *coze.AuthorizeRequest) { r.ChallengeMethod = "S256" }},
		{"unknown method", "neither S256 nor plain", func(r *coze.AuthorizeRequest) { r.CodeChallenge = pkceVerifier; r.ChallengeMethod = "S512" }},
		{"S256 of the wrong shape", "not an S256 challenge", func(r *coze.AuthorizeRequest) { r.CodeChallenge = "abc" }},
		{"plain too short", "43 to 128", func(r *coze.AuthorizeRequest) { r.CodeChallenge = "abc"; r.ChallengeMethod = "plain" }},
	}
	for _, tt := range tests {
		r := ok
		tt.edit(&r)
		got, err := coze.AuthorizeURL(r)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: AuthorizeURL = %q, %v; want error %q", tt.name, got, err, tt.want)
		}
	}
}

func TestPKCE(t *testing.T) {
	// RFC 7636, appendix B.
	if got := coze.S256Challenge(pkceVerifier); got != "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" {
		t.Errorf("S256Challenge = %q", got)
	}
	seen := map[string]bool{}
	for range 100 {
		v, err := coze.NewVerifier()
		if err != nil {
			t.Fatal(err)
		}
		if err := coze.ValidVerifier(v); err != nil || len(v) != 43 {
			t.Fatalf("NewVerifier() = %q (%d chars): %v", v, len(v), err)
		}
		if url.QueryEscape(v) != v {
			t.Fatalf("verifier %q needs escaping", v)
		}
		if seen[v] {
			t.Fatalf("verifier %q drawn twice", v)
		}
		seen[v] = true
	}
	for _, v := range []string{strings.Repeat("a", 42), strings.Repeat("a", 129), strings.Repeat("a", 42) + "+", strings.Repeat("a", 42) + "é"} {
		if coze.ValidVerifier(v) == nil {
			t.Errorf("ValidVerifier(%q) = nil", v)
		}
	}
	for _, v := range []string{strings.Repeat("a", 43), strings.Repeat("-._~", 32)} {
		if err := coze.ValidVerifier(v); err != nil {
			t.Errorf("ValidVerifier(%q) = %v", v, err)
		}
	}
}
