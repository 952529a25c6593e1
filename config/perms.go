package config

import (
	"fmt"
	"os"
	"runtime"
)

// permissionWarnings flags secret-bearing files that others may read.
func permissionWarnings(path string, c *Config) []string {
	if runtime.GOOS == "windows" {
		return nil
	}
	files := []string{path}
	for _, a := range c.Apps {
		if a.KeyFile != "" {
			files = append(files, a.KeyFile)
		}
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
