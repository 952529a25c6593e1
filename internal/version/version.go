package version

import (
	"cmp"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Override, when set at link time (-ldflags "-X
// github.com/cozeauth/cozeauth/internal/version.Override=v1.2.3"), is
// reported as the version instead of the module version Go recorded. The
// commit, time and dirty flag still come from the build information.
var Override string

// Info describes one build. Fields the build did not record are "".
type Info struct {
	Version  string // the main module's version, e.g. v1.2.0 or v0.0.0-20261201101643-f9ab1c8e1234+dirty; "(devel)" when Go recorded none
	Commit   string // vcs.revision: the full commit hash
	Time     string // vcs.time: the commit's time (RFC 3339, UTC); Go records no build time, so builds are reproducible
	Modified bool   // vcs.modified: built with uncommitted changes
	Go       string // the Go toolchain, e.g. go1.26.8
	Platform string // GOOS/GOARCH
}

// readBuildInfo is replaced in tests.
var readBuildInfo = debug.ReadBuildInfo

// Get returns the running binary's build information. It never fails: a
// binary without build information (rare: only stripped of it on purpose)
// reports "(devel)" and empty fields.
func Get() Info {
	i := Info{Version: "(devel)", Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if bi, ok := readBuildInfo(); ok {
		i = fromBuildInfo(bi)
	}
	if Override != "" {
		i.Version = Override
	}
	return i
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{Version: cmp.Or(bi.Main.Version, "(devel)"), Go: bi.GoVersion, Platform: runtime.GOOS + "/" + runtime.GOARCH}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Commit = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		case "GOOS":
			i.Platform = s.Value + i.Platform[strings.Index(i.Platform, "/"):]
		case "GOARCH":
			i.Platform = i.Platform[:strings.Index(i.Platform, "/")+1] + s.Value
		}
	}
	return i
}

// Short is the version alone, for a User-Agent: the version, else the
// first 12 digits of the commit, else "(devel)".
func (i Info) Short() string {
	if i.Version != "(devel)" && i.Version != "" {
		return i.Version
	}
	if i.Commit != "" {
		return i.Commit[:min(12, len(i.Commit))]
	}
	return "(devel)"
}

// String is the one line `cozeauth version` prints, e.g.
//
//	cozeauth v1.2.0 commit f9ab1c8e1234… date 2026-12-01T10:16:43Z (clean) go1.26.8 linux/amd64
//
// with "commit unknown" for a build outside version control and
// "(modified)" for one with uncommitted changes.
func (i Info) String() string {
	commit, date, state := "unknown", "unknown", "clean"
	if i.Commit != "" {
		commit = i.Commit
	}
	if i.Time != "" {
		date = i.Time
	}
	if i.Modified {
		state = "modified: uncommitted changes"
	}
	if i.Commit == "" {
		state = "not built from a version-control checkout"
	}
	return fmt.Sprintf("cozeauth %s commit %s date %s (%s) %s %s", i.Version, commit, date, state, i.Go, i.Platform)
}
