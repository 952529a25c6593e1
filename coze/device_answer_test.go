package coze

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDeviceAnswer(t *testing.T) {
	now := fuzzNow
	tests := []struct {
		name, body string
		want       *DeviceAuthorization // nil: refused as malformed
	}{
		{"documented example", `{"device_code":"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIyS","user_code":"WDJB-MJHT","verification_uri":"https://www.coze.cn/device","expires_in":1800,"interval":5}`,
			&DeviceAuthorization{"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIyS", "WDJB-MJHT", "https://www.coze.cn/device", now.Add(1800 * time.Second), 5 * time.Second}},
		{"user_code a number, defaults", `{"device_code":"dc","user_code":123456,"verification_uri":"http://127.0.0.1:9/device"}`,
			&DeviceAuthorization{"dc", "123456", "http://127.0.0.1:9/device", now.Add(defaultDeviceExpiry), DefaultDeviceInterval}},
		{"expires_in as an epoch second", `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","expires_in":1800000600,"interval":7}`,
			&DeviceAuthorization{"dc", "A", "https://x/d", time.Unix(1_800_000_600, 0), 7 * time.Second}},
		{"escape sequence in user_code", `{"device_code":"dc","user_code":"\u001b[2J","verification_uri":"https://x/d"}`, nil},
		{"line break in user_code", `{"device_code":"dc","user_code":"A\nB","verification_uri":"https://x/d"}`, nil},
		{"user_code missing", `{"device_code":"dc","verification_uri":"https://x/d"}`, nil},
		{"user_code an object", `{"device_code":"dc","user_code":{},"verification_uri":"https://x/d"}`, nil},
		{"negative user_code", `{"device_code":"dc","user_code":-1,"verification_uri":"https://x/d"}`, nil},
		{"long user_code", `{"device_code":"dc","user_code":"` + strings.Repeat("A", 65) + `","verification_uri":"https://x/d"}`, nil},
		{"javascript URI", `{"device_code":"dc","user_code":"A","verification_uri":"javascript:alert(1)"}`, nil},
		{"relative URI", `{"device_code":"dc","user_code":"A","verification_uri":"/device"}`, nil},
		{"space in device_code", `{"device_code":"d c","user_code":"A","verification_uri":"https://x/d"}`, nil},
		{"negative interval", `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","interval":-5}`, nil},
		{"huge interval", `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","interval":100000}`, nil},
		{"negative expiry", `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","expires_in":-1}`, nil},
		{"expiry in the past", `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","expires_in":1700000000}`, nil},
		{"expiry two days out", `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","expires_in":172800}`, nil},
		{"no device_code", `{"user_code":"A","verification_uri":"https://x/d"}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := parseDeviceAnswer(200, http.Header{"X-Tt-Logid": {"log1"}}, []byte(tt.body), now)
			if tt.want == nil {
				ce, ok := AsError(err)
				if d != nil || !ok || ce.Code != "malformed_response" || ce.Status != http.StatusBadGateway || ce.LogID != "log1" {
					t.Fatalf("got %+v, %v; want malformed_response", d, err)
				}
				if strings.Contains(err.Error(), "GmRhmh") {
					t.Errorf("error %q carries the device code", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *d != *tt.want {
				t.Errorf("got  %+v\nwant %+v", d, tt.want)
			}
		})
	}
	_, err := parseDeviceAnswer(400, http.Header{}, []byte(`{"error_code":"invalid_client","error_message":"no such app"}`), now)
	if ce, ok := AsError(err); !ok || ce.Status != 400 || ce.Code != "invalid_client" || ce.Message != "no such app" {
		t.Errorf("refusal = %#v", err)
	}
}

// FuzzParseDeviceAnswer: whatever the device endpoint answers, parsing
// never panics, and what it accepts is safe to print on a terminal and to
// put in a QR code: visible ASCII, bounded, an http(s) verification URL,
// an expiry ahead within a day, an interval of at least a second.
func FuzzParseDeviceAnswer(f *testing.F) {
	f.Add(200, `{"device_code":"GmRhmhcxhwAzkoEqiMEg_DnyEysNkuNhszIyS","user_code":"WDJB-MJHT","verification_uri":"https://www.coze.cn/device","expires_in":1800,"interval":5}`)
	f.Add(200, `{"device_code":"dc","user_code":123456,"verification_uri":"http://127.0.0.1:9/device"}`)
	f.Add(200, `{"device_code":"dc","user_code":"\u001b]8;;x\u0007","verification_uri":"https://x/d?a=b#c"}`)
	f.Add(200, `{"device_code":"dc","user_code":1e3,"verification_uri":"https://x/d","expires_in":1800000600}`)
	f.Add(200, `{"device_code":"dc","user_code":"A","verification_uri":"https://x/d","interval":9223372036854775807}`)
	f.Add(400, `{"error":"invalid_request","error_description":"client_id\r\nX: y"}`)
	f.Add(200, `{"error_code":"\xff"}`)
	f.Fuzz(func(t *testing.T, status int, body string) {
		if status < 100 || status > 999 {
			status = 200
		}
		d, err := parseDeviceAnswer(status, http.Header{}, []byte(body), fuzzNow)
		if (d == nil) == (err == nil) {
			t.Fatalf("answer %v and error %v", d, err)
		}
		if d == nil {
			ce, ok := AsError(err)
			if !ok {
				t.Fatalf("error %T is not *Error", err)
			}
			for _, s := range []string{ce.Code, ce.Message, ce.Error()} {
				if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00\x1b") {
					t.Fatalf("unclean error text %q", s)
				}
			}
			return
		}
		for _, s := range []string{d.DeviceCode, d.UserCode, d.VerificationURI, d.VerificationURL()} {
			if !headerSafe(s) {
				t.Fatalf("unsafe text accepted: %q", s)
			}
		}
		u, err := url.Parse(d.VerificationURL())
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Query().Get("user_code") != d.UserCode {
			t.Fatalf("verification URL %q is not http(s) with the user code", d.VerificationURL())
		}
		if len(d.UserCode) > maxUserCodeLen || !d.ExpiresAt.After(fuzzNow) || d.ExpiresAt.After(fuzzNow.Add(maxDeviceExpiry)) || d.Interval < time.Second || d.Interval > maxDeviceInterval {
			t.Fatalf("out of bounds: %+v", d)
		}
	})
}
