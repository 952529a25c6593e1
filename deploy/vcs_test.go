package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A build from a git checkout names its commit in `cozeauth version`,
// with no -ldflags: the commit comes from Go's build information. The
// checkout is a fresh clone of HEAD (a linked worktree's .git is a file,
// which the go command does not stamp from), built with the README's
// static build line.
func TestBuildFromCheckoutNamesItsCommit(t *testing.T) {
	if testing.Short() {
		t.Skip("clones and builds: skipped with -short")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("git is not installed (CI is set)")
		}
		t.Skip("git is not installed")
	}
	head, err := exec.Command(git, "-C", "..", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not in a git checkout: %v", err)
	}
	commit := strings.TrimSpace(string(head))
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if out, err := exec.Command(git, "clone", "-q", "--no-local", "..", src).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v\n%s", err, out)
	}
	env, args := dockerBuild(t)
	bin := filepath.Join(dir, "cozeauth")
	for i := range args {
		if args[i] == "-o" {
			args[i+1] = bin
		}
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = src
	// -buildvcs=false in a developer's GOFLAGS (environment or go env
	// file) would hide the commit; the Dockerfile's golang image sets none.
	cmd.Env = append(os.Environ(), append(env, "GOFLAGS=-buildvcs=true")...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %v: %v\n%s", args, err, out)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "commit "+commit) || !strings.Contains(string(out), "(clean)") {
		t.Errorf("cozeauth version = %q, want commit %s (clean)", out, commit)
	}
}
