package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/cozeauth/cozeauth", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
			{Key: "vcs.revision", Value: "f9ab1c8e1234567890abcdef1234567890abcdef"},
			{Key: "vcs.time", Value: "2026-12-01T10:16:43Z"},
			{Key: "vcs.modified", Value: "true"},
		}}
	i := fromBuildInfo(bi)
	want := Info{Version: "v1.2.0", Commit: "f9ab1c8e1234567890abcdef1234567890abcdef", Time: "2026-12-01T10:16:43Z", Modified: true, Go: "go1.26.8", Platform: "linux/arm64"}
	if i != want {
		t.Fatalf("got %+v\nwant %+v", i, want)
	}
	s := i.String()
	for _, part := range []string{"cozeauth v1.2.0", "commit f9ab1c8e1234567890abcdef1234567890abcdef", "date 2026-12-01T10:16:43Z", "modified", "go1.26.8 linux/arm64"} {
		if !strings.Contains(s, part) {
			t.Errorf("String() = %q, missing %q", s, part)
		}
	}
	if i.Short() != "v1.2.0" {
		t.Errorf("Short() = %q", i.Short())
	}
}

func TestNoVCS(t *testing.T) {
	i := fromBuildInfo(&debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}})
	if s := i.String(); !strings.Contains(s, "commit unknown") || !strings.Contains(s, "not built from a version-control checkout") {
		t.Errorf("String() = %q", s)
	}
	if i.Short() != "(devel)" {
		t.Errorf("Short() = %q", i.Short())
	}
	i.Commit = "0123456789abcdef"
	if i.Short() != "0123456789ab" {
		t.Errorf("Short() with a commit = %q", i.Short())
	}
}

func TestOverride(t *testing.T) {
	defer func(o string) { Override = o }(Override)
	Override = "v9.9.9"
	if v := Get().Version; v != "v9.9.9" {
		t.Errorf("Get().Version = %q with Override set", v)
	}
}

func TestGetNeverEmpty(t *testing.T) {
	defer func(f func() (*debug.BuildInfo, bool)) { readBuildInfo = f }(readBuildInfo)
	readBuildInfo = func() (*debug.BuildInfo, bool) { return nil, false }
	if i := Get(); i.Version != "(devel)" || i.Go == "" || i.Platform == "" {
		t.Errorf("Get() without build info = %+v", i)
	}
}
