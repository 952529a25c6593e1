package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/cozeauth/cozeauth/coze"
)

// parseScope reads a scope given as JSON or as a file holding JSON.
// Unknown fields are errors, so a typo does not silently widen a token.
func parseScope(arg string) (*coze.Scope, error) {
	data, from := []byte(arg), "--scope"
	if !strings.HasPrefix(strings.TrimSpace(arg), "{") {
		b, err := os.ReadFile(arg)
		if err != nil {
			return nil, fmt.Errorf("--scope: %w (give the scope as JSON, or a file holding it)", err)
		}
		data, from = b, "--scope "+arg
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s coze.Scope
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: not a Coze scope object: %v (fields: account_permission, attribute_constraint, workspace_permission, workflow_permission)", from, err)
	}
	return &s, nil
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@,+") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
