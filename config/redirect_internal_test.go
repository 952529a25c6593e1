package config

import "testing"

func TestCheckRedirectURI(t *testing.T) {
	tests := []struct {
		uri string
		ok  bool
	}{
		{"https://auth.example.com/oauth/callback", true},
		{"https://auth.example.com:8443/cb?x=1", true},
		{"http://localhost:8080/cb", true},
		{"http://LOCALHOST/cb", true},
		{"http://127.0.0.1:9000/cb", true},
		{"http://127.8.9.10/cb", true},
		{"http://[::1]:8080/cb", true},
		{"http://auth.example.com/cb", false},
		{"http://192.168.1.2/cb", false},
		{"http://localhost.example.com/cb", false},
		{"/oauth/callback", false},
		{"auth.example.com/cb", false},
		{"ftp://auth.example.com/cb", false},
		{"javascript:alert(1)", false},
		{"https://", false},
		{"https:///cb", false},
		{"https://u:p@auth.example.com/cb", false},
		{"https://auth.example.com/cb#frag", false},
		{"https://auth.example.com/cb#", false},
		{"https://auth.example.com/c b\x00", false},
	}
	for _, tt := range tests {
		if err := checkRedirectURI(tt.uri); (err == nil) != tt.ok {
			t.Errorf("checkRedirectURI(%q) = %v, want ok %v", tt.uri, err, tt.ok)
		}
	}
}
