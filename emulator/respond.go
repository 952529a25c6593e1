package emulator

import (
	"encoding/json"
	"net/http"
)

// oauthErr is a token-endpoint failure: an HTTP status and Coze's error code
// and message.
type oauthErr struct {
	status int
	code   string
	msg    string
}

func newOAuthErr(status int, code, msg string) *oauthErr {
	return &oauthErr{status: status, code: code, msg: msg}
}

// writeJSON answers v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"code":5000,"msg":"emulator: cannot encode response"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeOAuthError answers the token endpoint's error shape:
// {"error":code,"error_code":code,"error_message":msg}.
func writeOAuthError(w http.ResponseWriter, e *oauthErr) {
	writeJSON(w, e.status, map[string]string{
		"error":         e.code,
		"error_code":    e.code,
		"error_message": e.msg,
	})
}

// writeAPIError answers the OpenAPI error shape {"code":n,"msg":msg}, with
// the log id repeated in detail.logid as Coze does.
func writeAPIError(w http.ResponseWriter, status, code int, msg string) {
	writeJSON(w, status, map[string]any{
		"code":   code,
		"msg":    msg,
		"detail": map[string]string{"logid": w.Header().Get("X-Tt-Logid")},
	})
}
