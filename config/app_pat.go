package config

import "strings"

// PATApp is what a pat app holds: a personal access token (个人访问令牌,
// pat_…) or a service access token (服务访问令牌, sat_…), sent to Coze
// as-is. Tokens of other shapes are accepted with a warning: a self-hosted
// Coze Studio issues its own.
type PATApp struct {
	Token       Secret // never printed: String, logs and JSON show "(hidden)"
	TokenSource string // "file PATH", "COZE_API_TOKEN" or "apps[i].token"
}

// rawPAT is a pat app's own fields as written.
type rawPAT struct {
	Token     string `yaml:"token"`
	TokenFile string `yaml:"token_file"`
}

// patPrefixes are the prefixes of the tokens coze.cn and coze.com issue.
var patPrefixes = []string{"pat_", "sat_"}

func (r *rawApp) resolvePAT(e *errs) *PATApp {
	tok, src := r.secretField(e, r.Token, r.TokenFile, "token", "token_file", "access token")
	if src == "" && tok == "" {
		if !e.has(r.field("token")) && !e.has(r.field("token_file")) {
			e.add(r.field("token"), "give the personal or service access token (个人/服务访问令牌) as token, token_file or env COZE_API_TOKEN", "missing")
		}
		return &PATApp{}
	}
	field := r.field("token")
	if strings.HasPrefix(src, "file ") {
		field = r.field("token_file")
	}
	if !checkSecretText(e, field, "access token", tok) {
		return &PATApp{TokenSource: src}
	}
	p := &PATApp{Token: Secret(tok), TokenSource: src}
	switch {
	case strings.HasPrefix(tok, "czs_"):
		e.warn(field + ": the token starts with czs_ like an OAuth access token, which expires within a day; give a personal access token (pat_…) or a service access token (sat_…), or configure the OAuth app itself")
	case !hasPATPrefix(tok):
		e.warn(field + ": the token does not start with pat_ or sat_ as coze.cn and coze.com tokens do; fine for a self-hosted Coze Studio, otherwise check what was pasted")
	}
	return p
}

func hasPATPrefix(s string) bool {
	for _, p := range patPrefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
