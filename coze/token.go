package coze

import "time"

// Token is an access token Coze issued.
type Token struct {
	AccessToken  string    `json:"access_token"`
	TokenType    string    `json:"token_type"`
	ExpiresAt    time.Time `json:"expires_at"`
	RefreshToken string    `json:"refresh_token,omitempty"`
}

// Valid reports whether the token is usable at now with margin to spare.
func (t *Token) Valid(now time.Time, margin time.Duration) bool {
	return t != nil && t.AccessToken != "" && now.Add(margin).Before(t.ExpiresAt)
}

// tokenResponse is Coze's wire form: expires_in is an absolute epoch second.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int64  `json:"expires_in"`
	TokenType    string `json:"token_type"`
	RefreshToken string `json:"refresh_token"`
}

type errorResponse struct {
	Error        string `json:"error"`
	ErrorCode    string `json:"error_code"`
	ErrorMessage string `json:"error_message"`
	// RFC 6749's name, used by the device flow's errors.
	ErrorDescription string `json:"error_description"`
	// API-style errors.
	Code int    `json:"code"`
	Msg  string `json:"msg"`
}
