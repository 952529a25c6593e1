package policy

import "testing"

func TestAllowsPath(t *testing.T) {
	cases := []struct {
		p    Policy
		path string
		want bool
	}{
		{Policy{}, "/v1/workflow/run", true},
		{Policy{Public: true}, "/v3/chat", true},
		{Policy{Public: true}, "/v3/chat/retrieve", true},
		{Policy{Public: true}, "/v3/chatty", false},
		{Policy{Public: true}, "/v1/workflow/run", false},
		{Policy{Public: true}, "/v1/conversation/create", true},
		{Policy{Paths: []string{"/v1/files/upload"}}, "/v1/files/upload", true},
		{Policy{Paths: []string{"/v1/files/upload"}}, "/v1/files/retrieve", false},
		{Policy{Paths: []string{"/v1/"}}, "/v1/anything/at/all", true},
		{Policy{Paths: []string{"/v1/"}}, "/v3/chat", false},
		{Policy{Paths: []string{}}, "/v3/chat", false},
	}
	for _, tc := range cases {
		if got := tc.p.AllowsPath(tc.path); got != tc.want {
			t.Errorf("%+v AllowsPath(%q) = %v, want %v", tc.p.Paths, tc.path, got, tc.want)
		}
	}
}
