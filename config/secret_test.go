package config_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/cozeauth/cozeauth/config"
)

// renderings are the ways a Config reaches a log or a screen by
// accident: fmt verbs, slog, JSON and YAML.
func renderings(t *testing.T, cfg *config.Config) []string {
	t.Helper()
	var out []string
	for i := range cfg.Apps {
		a := &cfg.Apps[i]
		parts := []any{a.PAT, a.Web, a.JWT, a.PKCE, a.Device}
		var b strings.Builder
		for _, p := range parts {
			fmt.Fprintf(&b, "%v %+v %#v %s\n", p, p, p, p)
		}
		out = append(out, b.String(), fmt.Sprintf("%v %+v %#v", *a, *a, *a))
		var logged bytes.Buffer
		slog.New(slog.NewJSONHandler(&logged, nil)).Info("app", "app", *a, "pat", a.PAT, "web", a.Web)
		slog.New(slog.NewTextHandler(&logged, nil)).Info("app", "app", *a, "pat", a.PAT, "web", a.Web)
		out = append(out, logged.String())
		if a.PAT != nil || a.Web != nil {
			j, err := json.Marshal(struct {
				P *config.PATApp
				W *config.WebApp
			}{a.PAT, a.Web})
			if err != nil {
				t.Fatal(err)
			}
			y, err := yaml.Marshal(struct {
				P *config.PATApp
				W *config.WebApp
			}{a.PAT, a.Web})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(j), string(y))
		}
	}
	// The first rendering holds every app's sub-structs with %v.
	var all strings.Builder
	for _, o := range out {
		all.WriteString(o)
	}
	return append([]string{all.String()}, out...)
}

func TestSecretHidesItself(t *testing.T) {
	s := config.Secret("pat_abc")
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%s %v %q %#v %+v", s, s, s, s, s), s.String()} {
		if strings.Contains(got, "pat_abc") || !strings.Contains(got, "(hidden)") {
			t.Errorf("rendered as %q", got)
		}
	}
	if s.Reveal() != "pat_abc" {
		t.Error("Reveal lost the value")
	}
	if config.Secret("").String() != "" {
		t.Error("an empty Secret shows as hidden: a missing secret would look present")
	}
	b, _ := json.Marshal(map[string]config.Secret{"t": s})
	if string(b) != `{"t":"(hidden)"}` {
		t.Errorf("JSON %s", b)
	}
}
