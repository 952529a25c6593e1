package emulator

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Coze's OpenAPI error codes the conversation and chat endpoints answer.
const (
	codeBadRequest = 4000 // a missing or invalid parameter or body
	codeNotFound   = 4200 // no such conversation, message or chat for this token
)

// maxAPIBody bounds the JSON body of every conversation, message and chat
// request.
const maxAPIBody = 1 << 20

// writeAPIData answers Coze's success envelope {"code":0,"msg":"",<key>:v,
// "detail":{"logid":...}}; key is "data" for most endpoints. extra fields
// (such as a list's has_more) sit beside it.
func writeAPIData(w http.ResponseWriter, key string, v any, extra map[string]any) {
	out := map[string]any{
		"code":   0,
		"msg":    "",
		key:      v,
		"detail": map[string]string{"logid": w.Header().Get("X-Tt-Logid")},
	}
	for k, x := range extra {
		out[k] = x
	}
	writeJSON(w, http.StatusOK, out)
}

// badParam answers code 4000 for a parameter named where it is expected.
func badParam(w http.ResponseWriter, msg string) {
	writeAPIFailure(w, codeBadRequest, "invalid parameter: "+msg)
}

// notFound answers code 4200 for an id this token cannot see.
func notFound(w http.ResponseWriter, what, id string) {
	writeAPIFailure(w, codeNotFound, what+" "+strconv.Quote(id)+
		" does not exist or is not visible to this token (conversations belong to the user or session that created them)")
}

// allowMethods answers 405 with Coze's error shape unless r uses one of
// methods.
func allowMethods(w http.ResponseWriter, r *http.Request, methods ...string) bool {
	for _, m := range methods {
		if r.Method == m {
			return true
		}
	}
	w.Header().Set("Allow", strings.Join(methods, ", "))
	writeAPIError(w, http.StatusMethodNotAllowed, codeBadRequest, "method not allowed: use "+strings.Join(methods, " or "))
	return false
}

// readAPIBody decodes r's body, at most maxAPIBody bytes, into v. An empty
// body or a JSON null leaves v as it is. On failure it has answered code
// 4000 and reports false.
func readAPIBody(w http.ResponseWriter, r *http.Request, v any) bool {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxAPIBody+1))
	switch {
	case err != nil:
		writeAPIFailure(w, codeBadRequest, "cannot read request body")
		return false
	case len(body) > maxAPIBody:
		writeAPIFailure(w, codeBadRequest, "request body too large: at most "+strconv.Itoa(maxAPIBody)+" bytes")
		return false
	}
	if err := decodeJSONBody(body, v); err != nil {
		writeAPIFailure(w, codeBadRequest, "invalid request body: "+err.Error())
		return false
	}
	return true
}

// decodeJSONBody is readAPIBody's parsing: empty or null leaves v alone.
func decodeJSONBody(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || string(body) == "null" {
		return nil
	}
	return json.Unmarshal(body, v)
}

// queryOr is the query parameter name of r, else fallback (a body field).
func queryOr(r *http.Request, name, fallback string) string {
	if v := r.URL.Query().Get(name); v != "" {
		return v
	}
	return fallback
}

// contentString is a message content as Coze stores it: a JSON string as
// is, an array of object_string items as its compact JSON text.
func contentString(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	switch raw[0] {
	case '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case '[':
		var items []map[string]any
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", err
		}
		b, err := json.Marshal(items)
		return string(b), err
	}
	return "", errContent
}

type apiError string

func (e apiError) Error() string { return string(e) }

const errContent = apiError("content must be a string or an array of object_string items")
