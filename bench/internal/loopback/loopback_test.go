package loopback

import (
	"strings"
	"testing"
)

func TestCheckURL(t *testing.T) {
	for _, u := range []string{"http://127.0.0.1:80/x", "http://127.9.9.9/", "http://localhost:1/", "http://[::1]:8080/token", "https://LOCALHOST/"} {
		if err := CheckURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
	for _, u := range []string{"http://10.0.0.1/", "http://example.com/", "http://[::2]/", "ftp://127.0.0.1/", "http://0.0.0.0/", "http://127.0.0.1.nip.io/", "://bad"} {
		if err := CheckURL(u); err == nil {
			t.Errorf("%s accepted", u)
		}
	}
}

func TestCheckFlag(t *testing.T) {
	if err := CheckFlag("-url", "http://127.0.0.1:1/x"); err != nil {
		t.Errorf("loopback URL refused: %v", err)
	}
	if err := CheckFlag("-url", ""); err == nil || err.Error() != "-url is required" {
		t.Errorf("empty: %v, want -url is required", err)
	}
	if err := CheckFlag("-b", "http://10.0.0.1/"); err == nil || !strings.HasPrefix(err.Error(), "-b: ") {
		t.Errorf("non-loopback: %v, want an error starting -b: ", err)
	}
}

func TestCheckListen(t *testing.T) {
	for _, a := range []string{"127.0.0.1:0", "[::1]:80", "localhost:8080"} {
		if err := CheckListen(a); err != nil {
			t.Errorf("%s refused: %v", a, err)
		}
	}
	for _, a := range []string{":8080", "0.0.0.0:1", "10.1.1.1:80", "127.0.0.1"} {
		if err := CheckListen(a); err == nil {
			t.Errorf("%s accepted", a)
		}
	}
}
