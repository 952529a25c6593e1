package secfile

import (
	"fmt"
	"io/fs"
	"os"
	"runtime"
)

// Exposed reports whether the file at path can be read or written by group
// or others, and its mode. Windows has no such mode bits: never exposed.
func Exposed(path string) (fs.FileMode, bool) {
	if runtime.GOOS == "windows" {
		return 0, false
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return 0, false
	}
	mode := fi.Mode().Perm()
	return mode, mode&0o077 != 0
}

// Warning is a one-line warning about path when group or others can reach
// it, naming what it holds and the fix; "" when the file is private.
func Warning(path, holds string) string {
	mode, exposed := Exposed(path)
	if !exposed {
		return ""
	}
	return fmt.Sprintf("%s (%s) is readable by group or others (mode %04o): run chmod 600 %s", path, holds, mode, path)
}
