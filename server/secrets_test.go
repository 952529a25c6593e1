package server

import (
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/coze"
	"github.com/cozeauth/cozeauth/emulator"
)

// TestSecretsStayOut drives success and every failure path, then checks
// that neither the logs nor any answer carry the private key or a token
// other than the one a successful answer hands out.
func TestSecretsStayOut(t *testing.T) {
	f := newFixture(t)
	pem, err := coze.EncodePrivateKey(testKey())
	if err != nil {
		t.Fatal(err)
	}
	keyLines := strings.Split(string(pem), "\n")
	var answers []string
	call := func(method, path, body string, hdr map[string]string) {
		_, _, data := f.do(t, method, path, body, hdr)
		answers = append(answers, string(data))
	}
	_, _, ok := f.do(t, "POST", "/token", "", nil)
	token := decode[tokenAnswer](t, ok).AccessToken
	call("POST", "/token", `{"app":"bad"}`, nil)
	call("POST", "/token", `{"app":`, nil)
	call("GET", "/readyz", "", nil)
	f.emu.Inject(emulator.Fault{Times: 3, Status: 500})
	call("POST", "/token", "", map[string]string{"X-User-ID": "x"})
	f.emu.Inject(emulator.Fault{Times: 3, Drop: true})
	call("POST", "/token", "", map[string]string{"X-User-ID": "y"})
	logs := f.logs.String()
	for _, where := range append(answers, logs) {
		if strings.Contains(where, token) {
			t.Fatalf("an access token leaked into %q", where)
		}
		for _, line := range keyLines[1 : len(keyLines)-2] {
			if len(line) > 20 && strings.Contains(where, line) {
				t.Fatalf("private key material leaked into %q", where)
			}
		}
		if strings.Contains(where, "Bearer ") || strings.Contains(where, "eyJ") {
			t.Fatalf("an assertion or bearer value leaked into %q", where)
		}
	}
}
