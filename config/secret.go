package config

import "log/slog"

// Secret is a credential held in memory (a PAT, a client secret). It
// never shows itself by accident: fmt's %v, %s, %q and %#v, slog, JSON
// and YAML all give "(hidden)" (or "" when it is empty). Reveal returns
// the value, for the one place that sends it to Coze.
type Secret string

const hiddenSecret = "(hidden)"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String is "(hidden)", or "" for an empty Secret.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return hiddenSecret
}

// GoString is what %#v prints: never the value.
func (s Secret) GoString() string { return `config.Secret("` + s.String() + `")` }

// LogValue keeps the value out of slog records.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText keeps the value out of JSON and YAML.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }
