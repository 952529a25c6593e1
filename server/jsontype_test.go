package server

import (
	"encoding/json"
	"strings"
	"testing"
)

// Type errors in a token request's body are told in JSON's words.
func TestJSONProblemWithoutGoTypes(t *testing.T) {
	for body, want := range map[string]string{
		`[]`:                         "the body must be a JSON object, not an array",
		`"x"`:                        "the body must be a JSON object, not a string",
		`{"duration_seconds":"600"}`: `field "duration_seconds" must be a whole number, not a string`,
		`{"duration_seconds":1.5}`:   `field "duration_seconds" must be a whole number, not number 1.5`,
		`{"app":7}`:                  `field "app" must be a string, not a number`,
		`{"session_name":{"a":1}}`:   `field "session_name" must be a string, not an object`,
		`{"duration_seconds":true}`:  `field "duration_seconds" must be a whole number, not true or false`,
	} {
		var dst tokenBody
		err := json.Unmarshal([]byte(body), &dst)
		if err == nil {
			t.Errorf("%s: no error", body)
			continue
		}
		got := jsonProblem(err)
		if got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
		if strings.Contains(got, "server.") || strings.Contains(got, "tokenBody") || strings.Contains(got, "int") && !strings.Contains(want, "int") {
			t.Errorf("%s: Go internals in %q", body, got)
		}
	}
}
