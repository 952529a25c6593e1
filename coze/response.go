package coze

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Bounds on what a token endpoint may answer. An answer outside them is
// refused as malformed rather than cached, logged or put into a header.
const (
	maxTokenLen   = 4096 // access and refresh tokens
	maxErrorText  = 512  // error_code and error_message, as shown to people
	maxLogIDLen   = 128
	expirySlack   = time.Hour // clock difference tolerated beyond MaxDuration
	minimumExpiry = 1_000_000_000
)

// parseTokenResponse reads a token endpoint's answer. A success carries
// a token that is safe to send as a header value (visible ASCII, bounded)
// and an expiry in the future and no further than Coze ever grants;
// anything else is an *Error. Text taken from Coze for error messages is
// bounded and stripped of control characters, so an answer cannot forge
// log lines or response headers.
func parseTokenResponse(resp *http.Response, data []byte) (*Token, error) {
	return parseTokenAnswer(resp.StatusCode, resp.Header, data, time.Now())
}

func parseTokenAnswer(status int, h http.Header, data []byte, now time.Time) (*Token, error) {
	logID := cleanText(h.Get("X-Tt-Logid"), maxLogIDLen)
	if status == http.StatusOK {
		var tr tokenResponse
		if err := json.Unmarshal(data, &tr); err == nil && tr.AccessToken != "" && tr.ExpiresIn > 0 {
			tok := &Token{
				AccessToken:  tr.AccessToken,
				TokenType:    cmp.Or(tr.TokenType, "Bearer"),
				ExpiresAt:    expiresAt(tr.ExpiresIn, now),
				RefreshToken: tr.RefreshToken,
			}
			if why := checkToken(tok, now); why != "" {
				return nil, &Error{Status: http.StatusBadGateway, Code: "malformed_response", Message: why, LogID: logID}
			}
			return tok, nil
		}
	}
	return nil, refusal(status, h, data, "HTTP 200 without access_token and expires_in")
}

// refusal reads an answer that carries no usable result as an *Error:
// Coze's error_code (or error, or an API code) and message, its log id and
// Retry-After. An HTTP 200 without an error code is a malformed_response
// with the message missing.
func refusal(status int, h http.Header, data []byte, missing string) *Error {
	e := &Error{Status: status, LogID: cleanText(h.Get("X-Tt-Logid"), maxLogIDLen), RetryAfter: parseRetryAfter(h.Get("Retry-After"))}
	var er errorResponse
	if json.Unmarshal(data, &er) == nil {
		e.Code = cleanText(cmp.Or(er.ErrorCode, er.Error), maxErrorText)
		e.Message = cleanText(cmp.Or(er.ErrorMessage, er.ErrorDescription, er.Msg), maxErrorText)
		if e.Code == "" && er.Code != 0 {
			e.Code = fmt.Sprint(er.Code)
		}
	}
	if status == http.StatusOK && e.Code == "" {
		e.Status = http.StatusBadGateway
		e.Code = "malformed_response"
		e.Message = missing
	}
	if e.Code == "" && e.Message == "" {
		e.Message = http.StatusText(status)
	}
	return e
}

// parseSpendingResponse is parseTokenResponse for a request that spent a
// one-time credential: an HTTP 200 refused as malformed still yields its
// refresh token, when that is well formed, beside the error.
func parseSpendingResponse(resp *http.Response, data []byte) (*Token, error) {
	tok, err := parseTokenResponse(resp, data)
	if err == nil || resp.StatusCode != http.StatusOK {
		return tok, err
	}
	var tr tokenResponse
	if json.Unmarshal(data, &tr) == nil && headerSafe(tr.RefreshToken) {
		return &Token{RefreshToken: tr.RefreshToken}, err
	}
	return nil, err
}

// checkToken explains why tok cannot be used, or returns "".
func checkToken(tok *Token, now time.Time) string {
	switch {
	case !headerSafe(tok.AccessToken):
		return "access_token is not a bounded run of visible ASCII characters"
	case tok.RefreshToken != "" && !headerSafe(tok.RefreshToken):
		return "refresh_token is not a bounded run of visible ASCII characters"
	case !tok.ExpiresAt.After(now):
		return fmt.Sprintf("expires_in %d is already past by this machine's clock (%s): check the clock (cozeauth doctor)",
			tok.ExpiresAt.Unix(), now.UTC().Format(time.RFC3339))
	case tok.ExpiresAt.After(now.Add(MaxDuration*time.Second + expirySlack)):
		return fmt.Sprintf("expires_in %d is further ahead than Coze ever grants (%d s): check this machine's clock (cozeauth doctor)",
			tok.ExpiresAt.Unix(), MaxDuration)
	}
	return ""
}

// headerSafe reports whether s can go into an Authorization header as is.
func headerSafe(s string) bool {
	if len(s) == 0 || len(s) > maxTokenLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

// cleanText bounds s and replaces control characters with spaces.
func cleanText(s string, n int) string {
	if len(s) > n {
		s = s[:n] // a rune cut in two becomes "?" below
	}
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
}

// expiresAt reads expires_in, an absolute epoch second in Coze's answers.
// A value too small to be one (before 2001) is taken as a duration, as
// standard OAuth servers send it, rather than as a date in 1970.
func expiresAt(v int64, now time.Time) time.Time {
	if v < minimumExpiry {
		return now.Add(time.Duration(v) * time.Second)
	}
	return time.Unix(v, 0)
}
