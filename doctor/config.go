package doctor

import (
	"cmp"
	"errors"
	"fmt"
	"strings"

	"github.com/cozeauth/cozeauth/config"
)

// checkConfig loads the configuration and picks the app. Problems with the
// app's key, app id and key id are kept for their own checks.
func (r *runner) checkConfig() {
	c := Check{ID: "config", Name: "configuration", Status: Fail}
	cfg, err := config.Load(r.o.Config)
	if cfg == nil {
		switch {
		case errors.Is(err, config.ErrNoConfig):
			c.Summary = "no configuration found"
			c.Cause = "cozeauth looked at --config, $COZEAUTH_CONFIG, ./cozeauth.yaml and the environment (CLIENT_ID, KID, PRIVATE_KEY_FILE, …) and found nothing"
			c.Fix = "write a cozeauth.yaml (see cozeauth.example.yaml) or set CLIENT_ID, KID and PRIVATE_KEY_FILE; the README's \"First token in five minutes\" walks through it"
		default:
			c.Summary, c.Details = splitProblems(err)
			c.Fix = "check the path given to --config or $COZEAUTH_CONFIG, and the YAML syntax"
		}
		r.add(c)
		return
	}
	r.cfg = cfg
	r.rep.ConfigSource = cfg.Source
	app, ok := cfg.App(r.o.App)
	if !ok {
		c.Summary = fmt.Sprintf("no app named %q in %s", cmp.Or(r.o.App, cfg.DefaultApp), cfg.Source)
		c.Fix = "use --app with one of: " + appNames(cfg)
		r.add(c)
		return
	}
	r.app = app
	r.rep.App = app.Name
	for i := range cfg.Apps {
		if &cfg.Apps[i] == app {
			r.appIdx = i
		}
	}
	var other []string
	r.buckets = map[string][]*config.FieldError{}
	for _, p := range problems(err) {
		var fe *config.FieldError
		if errors.As(p, &fe) && r.mine(fe.Field) {
			if kind := classify(fe.Field); kind != "" {
				r.buckets[kind] = append(r.buckets[kind], fe)
				continue
			}
		}
		other = append(other, p.Error())
	}
	where := fmt.Sprintf("app %q, region %s, API base %s", app.Name, cmp.Or(string(app.Region), "(custom)"), app.APIBase)
	if len(other) > 0 {
		c.Summary = fmt.Sprintf("%s: %s; checking %s", cfg.Source, plural(len(other), "problem"), where)
		c.Details = other
		c.Cause = "`cozeauth serve` refuses to start with this configuration"
		c.Fix = "each line above names the field and the fix (`cozeauth config check` lists them too)"
		r.add(c)
		return
	}
	c.Status = OK
	c.Summary = fmt.Sprintf("%s: %s; checking %s", cfg.Source, plural(len(cfg.Apps), "app"), where)
	if ws := PermissionWarnings(cfg); len(ws) > 0 {
		c.Status = Warn
		c.Details = ws
		c.Cause = "anyone who can read these files can get tokens as your app"
	}
	r.add(c)
}

// mine reports whether a problem's field belongs to the checked app (or to
// no app in particular).
func (r *runner) mine(field string) bool {
	if !strings.HasPrefix(field, "apps[") {
		return true
	}
	return strings.HasPrefix(field, fmt.Sprintf("apps[%d].", r.appIdx))
}

// classify sorts a problem's field name (a YAML path, an env var, or a
// coze_oauth_config.json field) into key, client_id, key_id or "".
func classify(field string) string {
	f := strings.ToLower(field)
	if i := strings.LastIndexAny(f, ".: "); i >= 0 {
		f = f[i+1:]
	}
	switch {
	case strings.Contains(f, "private_key"):
		return "key"
	case f == "kid" || strings.HasSuffix(f, "key_id"):
		return "key_id"
	case strings.HasSuffix(f, "client_id") || strings.HasSuffix(f, "app_id"):
		return "client_id"
	}
	return ""
}

// problems lists the problems in a config.Load error.
func problems(err error) []error {
	if err == nil {
		return nil
	}
	var ce *config.Error
	if errors.As(err, &ce) {
		return ce.Problems
	}
	return []error{err}
}

// splitProblems is a summary line and one detail per problem.
func splitProblems(err error) (string, []string) {
	ps := problems(err)
	if len(ps) == 1 {
		return ps[0].Error(), nil
	}
	var lines []string
	for _, p := range ps {
		lines = append(lines, p.Error())
	}
	return plural(len(ps), "problem"), lines
}

func appNames(cfg *config.Config) string {
	var names []string
	for _, a := range cfg.Apps {
		names = append(names, a.Name)
	}
	return strings.Join(names, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
