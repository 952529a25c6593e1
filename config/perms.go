package config

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// permissionWarnings flags secret-bearing files that others may read.
func permissionWarnings(path string, c *Config) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	files := []string{path}
	for i := range c.Apps {
		files = append(files, c.Apps[i].secretFiles()...)
	}
	if c.Access.KeysFile != "" {
		files = append(files, c.Access.KeysFile)
	}
	var out []string
	for _, f := range files {
		if w := readableByOthers(f); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func readableByOthers(path string) string {
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm()&0o077 == 0 {
		return ""
	}
	return fmt.Sprintf("%s is readable by group or others (mode %04o): it holds secrets; run chmod 600 %s", path, st.Mode().Perm(), path)
}

// secretFiles are the files a's secrets were read from.
func (a *App) secretFiles() []string {
	var out []string
	fromFile := func(src string) {
		if p, ok := strings.CutPrefix(src, "file "); ok {
			out = append(out, p)
		} else if p, _, ok := strings.Cut(src, ": "); ok && p != "" && !strings.HasPrefix(p, "apps[") {
			out = append(out, p) // "PATH: private_key": a console download
		}
	}
	switch {
	case a.JWT != nil:
		fromFile(a.JWT.KeySource)
	case a.PAT != nil:
		fromFile(a.PAT.TokenSource)
	case a.Web != nil:
		fromFile(a.Web.SecretSource)
	}
	return out
}
