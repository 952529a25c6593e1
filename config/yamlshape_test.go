package config_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/cozeauth/cozeauth/config"
)

// Every unknown field and wrongly shaped value is reported at once, with
// its path, line and a suggestion, and never a Go type name.
func TestYAMLShapeProblemsInWords(t *testing.T) {
	path := writeConfig(t, `lisen: 127.0.0.1:8080
apps:
  - name: bot
    regoin: cn
    client_id: "1171234567890"
    key_id: k
    private_key_file: private_key.pem
    duration_seconds: soon
    channel: maybe
policies:
  - name: p
    apps: bot
    origins: {a: 1}
cache: [1, 2]
`)
	_, err := config.LoadFile(path)
	var ce *config.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %v", err)
	}
	text := err.Error()
	for _, want := range []string{
		`lisen: line 1: unknown field "lisen" at the top level (fix: did you mean listen?)`,
		`apps[0].regoin: line 4: unknown field "regoin" in apps[0] (fix: did you mean region?)`,
		`apps[0].duration_seconds: line 8: must be a whole number, not "soon"`,
		`apps[0].channel: line 9: must be true or false, not "maybe"`,
		`policies[0].apps: line 12: must be a list, not "bot"`,
		`policies[0].origins: line 13: must be a list, not a mapping`,
		`cache: line 14: must be fields (name: value), not a list`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("missing %q", want)
		}
	}
	if len(ce.Problems) < 7 || !strings.Contains(text, "problems)") {
		t.Errorf("%d problems counted", len(ce.Problems))
	}
	for _, internal := range []string{"config.", "raw", "!!", "unmarshal", "[]string", " yaml: "} {
		if strings.Contains(text, internal) {
			t.Errorf("Go or YAML internals %q in:\n%s", internal, text)
		}
	}
	if t.Failed() {
		t.Log(text)
	}
}

// A syntax error is one problem, with its line, in plain words.
func TestYAMLSyntaxError(t *testing.T) {
	_, err := config.LoadFile(writeConfig(t, "apps:\n  - name: bot\n   region: cn\n"))
	if err == nil || !strings.Contains(err.Error(), "line ") || strings.Contains(err.Error(), " yaml: ") {
		t.Errorf("got %v", err)
	}
}

// Aliases that refer to themselves end the walk, not the process.
func TestYAMLShapeSelfAlias(t *testing.T) {
	for _, doc := range []string{"a: &x [*x]\n", "apps: &y\n  - *y\n", "cache: &c {max_entries: *c}\n"} {
		_, err := config.LoadFile(writeConfig(t, doc))
		if err == nil {
			t.Errorf("%q loaded", doc)
		}
	}
}
