package coze

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var fuzzNow = time.Unix(1_800_000_000, 0)

// TestTokenAnswerRefusesUnsafeValues: an answer whose token could not be
// sent as a header, or whose expiry is in the past or further than Coze
// grants, is refused as malformed instead of being cached.
func TestTokenAnswerRefusesUnsafeValues(t *testing.T) {
	future := fuzzNow.Add(15 * time.Minute).Unix()
	tests := []struct{ name, body string }{
		{"CRLF in token", fmt.Sprintf(`{"access_token":"czs_a\r\nX-Evil: 1","expires_in":%d}`, future)},
		{"space in token", fmt.Sprintf(`{"access_token":"czs a","expires_in":%d}`, future)},
		{"non-ASCII token", fmt.Sprintf(`{"access_token":"czs_é","expires_in":%d}`, future)},
		{"huge token", fmt.Sprintf(`{"access_token":"%s","expires_in":%d}`, strings.Repeat("a", maxTokenLen+1), future)},
		{"bad refresh token", fmt.Sprintf(`{"access_token":"czs_a","refresh_token":"r\n","expires_in":%d}`, future)},
		{"already expired", fmt.Sprintf(`{"access_token":"czs_a","expires_in":%d}`, fuzzNow.Add(-time.Second).Unix())},
		{"expires in year 2100", `{"access_token":"czs_a","expires_in":4102444800}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok, err := parseTokenAnswer(200, http.Header{}, []byte(tt.body), fuzzNow)
			ce, ok := AsError(err)
			if tok != nil || !ok || ce.Code != "malformed_response" || ce.Status != http.StatusBadGateway {
				t.Fatalf("got %+v, %v; want malformed_response", tok, err)
			}
		})
	}
	tok, err := parseTokenAnswer(200, http.Header{}, fmt.Appendf(nil, `{"access_token":"czs_ok","expires_in":%d}`, future), fuzzNow)
	if err != nil || tok.AccessToken != "czs_ok" {
		t.Fatalf("a sound answer was refused: %v", err)
	}
}

// TestTokenAnswerCleansErrorText: Coze's error text reaches logs and
// error bodies; it cannot carry line breaks or run unbounded.
func TestTokenAnswerCleansErrorText(t *testing.T) {
	body := `{"error_code":"invalid_client\nlevel=ERROR msg=forged","error_message":"` + strings.Repeat("x", 5000) + `"}`
	h := http.Header{"X-Tt-Logid": {"abc\rdef" + strings.Repeat("9", 500)}}
	_, err := parseTokenAnswer(401, h, []byte(body), fuzzNow)
	ce, _ := AsError(err)
	if ce == nil || strings.ContainsAny(ce.Code+ce.Message+ce.LogID, "\r\n") {
		t.Fatalf("control characters kept: %+v", ce)
	}
	if len(ce.Message) > maxErrorText || len(ce.LogID) > maxLogIDLen {
		t.Fatalf("unbounded text: message %d bytes, log id %d bytes", len(ce.Message), len(ce.LogID))
	}
}

// FuzzParseTokenResponse: whatever a token endpoint answers, parsing never
// panics; a token it accepts is safe as a header value and expires in the
// future within Coze's longest grant; an error's text is bounded, valid
// UTF-8 and free of control characters.
func FuzzParseTokenResponse(f *testing.F) {
	future := fuzzNow.Add(15 * time.Minute).Unix()
	f.Add(200, "log1", fmt.Sprintf(`{"access_token":"czs_x","expires_in":%d,"token_type":"Bearer"}`, future))
	f.Add(200, "", `{"access_token":"czs_x","expires_in":900}`)
	f.Add(200, "", `{"access_token":"czs_x","expires_in":-1}`)
	f.Add(200, "", `{"access_token":"czs\u0000x","expires_in":900}`)
	f.Add(200, "", `{"access_token":"czs_x","expires_in":9223372036854775807}`)
	f.Add(401, "l\r\nX: y", `{"error":"invalid_client","error_code":"invalid_client","error_message":"invalid jwt: kid not been registred"}`)
	f.Add(400, "", `{"code":4100,"msg":"bad\u2028token"}`)
	f.Add(502, "", `<html>bad gateway</html>`)
	f.Add(200, "", `{"error_code":"\xff\xfe"}`)
	f.Fuzz(func(t *testing.T, status int, logID, body string) {
		if status < 100 || status > 999 {
			status = 200
		}
		tok, err := parseTokenAnswer(status, http.Header{"X-Tt-Logid": {logID}}, []byte(body), fuzzNow)
		if (tok == nil) == (err == nil) {
			t.Fatalf("token %v and error %v", tok, err)
		}
		if tok != nil {
			if !headerSafe(tok.AccessToken) || (tok.RefreshToken != "" && !headerSafe(tok.RefreshToken)) {
				t.Fatalf("unsafe token accepted: %q", tok.AccessToken)
			}
			if !tok.ExpiresAt.After(fuzzNow) || tok.ExpiresAt.After(fuzzNow.Add(MaxDuration*time.Second+expirySlack)) {
				t.Fatalf("expiry %v accepted at %v", tok.ExpiresAt, fuzzNow)
			}
			return
		}
		ce, ok := AsError(err)
		if !ok {
			t.Fatalf("error %T is not *Error", err)
		}
		for _, s := range []string{ce.Code, ce.Message, ce.LogID, ce.Error()} {
			if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\n\x00\u2028\u2029") {
				t.Fatalf("unclean error text %q", s)
			}
		}
		if len(ce.Code) > maxErrorText || len(ce.Message) > maxErrorText || len(ce.LogID) > maxLogIDLen {
			t.Fatalf("unbounded error text")
		}
	})
}
