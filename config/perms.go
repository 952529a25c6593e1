package config

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// permissionWarnings flags the files holding secrets that group or others
// may read: key, token and client secret files that were loaded, and the
// config file itself only when it holds a secret inline (a private key,
// token or client secret, cookie.secret, audit.session_key). A config
// file that only names key files, a public key, and the keys file (which
// holds hashes, not keys) are not secrets.
func permissionWarnings(path string, c *Config, fc *fileConfig) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	type file struct{ path, holds string }
	var files []file
	if what := inlineSecrets(c, fc); len(what) > 0 {
		files = append(files, file{path, strings.Join(what, ", ") + " inline"})
	}
	for i := range c.Apps {
		a := &c.Apps[i]
		for _, p := range a.secretFiles() {
			files = append(files, file{p, a.secretName() + " of app " + a.Name})
		}
	}
	var out []string
	for _, f := range files {
		if w := readableByOthers(f.path, f.holds); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// inlineSecrets names the secrets written in the config file itself.
func inlineSecrets(c *Config, fc *fileConfig) []string {
	var out []string
	for i := range c.Apps {
		a := &c.Apps[i]
		if src := a.secretSource(); strings.HasPrefix(src, "apps[") {
			out = append(out, src)
		}
	}
	if fc.Cookie.Secret != "" {
		out = append(out, "cookie.secret")
	}
	if fc.Audit.SessionKey != "" {
		out = append(out, "audit.session_key")
	}
	return out
}

func readableByOthers(path, holds string) string {
	st, err := os.Stat(path)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s is readable by group or others (mode %04o): it holds the %s; run chmod 600 %s", path, st.Mode().Perm(), holds, path)
}

// secretSource is where the app's secret was read from ("file PATH",
// "apps[0].private_key", "PATH: private_key" for a console download, or a
// variable's name); "" when it has none or it did not load.
func (a *App) secretSource() string {
	switch {
	case a.JWT != nil && a.JWT.Key != nil:
		return a.JWT.KeySource
	case a.PAT != nil:
		return a.PAT.TokenSource
	case a.Web != nil:
		return a.Web.SecretSource
	}
	return ""
}

// secretName says what kind of secret the app holds.
func (a *App) secretName() string {
	switch {
	case a.PAT != nil:
		return "access token"
	case a.Web != nil:
		return "client secret"
	}
	return "private key"
}

// secretFiles are the files a's secret was read from.
func (a *App) secretFiles() []string {
	src := a.secretSource()
	if p, ok := strings.CutPrefix(src, "file "); ok {
		return []string{p}
	}
	if p, _, ok := strings.Cut(src, ": "); ok && p != "" && !strings.HasPrefix(p, "apps[") {
		return []string{p} // "PATH: private_key": a console download
	}
	return nil
}
