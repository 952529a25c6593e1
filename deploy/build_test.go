package deploy

import (
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

// StaticBuild is the README's static build command; the Dockerfile must
// build with exactly these flags.
const StaticBuild = `CGO_ENABLED=0 go build -trimpath -ldflags='-s -w'`

// dockerBuild is the Dockerfile's `go build` line, split as sh would.
func dockerBuild(t *testing.T) (env, args []string) {
	t.Helper()
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var line string
	for _, l := range strings.Split(string(df), "\n") {
		if strings.HasPrefix(l, "RUN ") && strings.Contains(l, " go build ") {
			if line != "" {
				t.Fatal("the Dockerfile has more than one RUN ... go build line")
			}
			line = strings.TrimPrefix(l, "RUN ")
		}
	}
	if line == "" {
		t.Fatal("no RUN ... go build line in the Dockerfile")
	}
	if !strings.HasPrefix(line, StaticBuild+" ") {
		t.Fatalf("the Dockerfile builds with %q; the README promises %q", line, StaticBuild)
	}
	words, err := shellWords(line)
	if err != nil {
		t.Fatalf("Dockerfile build line: %v", err)
	}
	for len(words) > 0 && regexp.MustCompile(`^[A-Z_][A-Z0-9_]*=`).MatchString(words[0]) {
		env, words = append(env, words[0]), words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("the build line does not run go build: %q", line)
	}
	return env, words[1:]
}

// shellWords splits s as a POSIX shell splits a simple command with single
// and double quotes (no expansions: the build line has none).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case ' ', '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case '\'', '"':
			j := strings.IndexByte(s[i+1:], c)
			if j < 0 {
				return nil, fmt.Errorf("unterminated %c quote", c)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
			inWord = true
		case '$', '`', '\\':
			return nil, fmt.Errorf("%q: keep the build line free of shell expansions", c)
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// builtBinary builds cozeauth once per test run, with the Dockerfile's
// command and flags, output redirected into a temporary directory.
func builtBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary: skipped with -short")
	}
	env, args := dockerBuild(t)
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cozeauth-build")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cozeauth")
		for i := range args {
			if args[i] == "-o" && i+1 < len(args) {
				args[i+1] = binPath
			}
		}
		cmd := exec.Command("go", args...)
		cmd.Dir = ".."
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// staticELF reports why the ELF file at path is not a static executable,
// or "" when it is: no interpreter (dynamic loader), no dynamic section,
// no shared libraries needed.
func staticELF(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		switch p.Type {
		case elf.PT_INTERP:
			return "it names an interpreter (PT_INTERP): it needs the dynamic loader", nil
		case elf.PT_DYNAMIC:
			return "it has a dynamic section (PT_DYNAMIC)", nil
		}
	}
	if s := f.Section(".interp"); s != nil {
		return "it has an .interp section", nil
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		return fmt.Sprintf("it needs shared libraries %v", libs), nil
	}
	return "", nil
}

// The binary the Dockerfile builds (and the README's static build) is
// static, and runs.
func TestDockerfileBuildIsStatic(t *testing.T) {
	bin := builtBinary(t)
	why, err := staticELF(bin)
	if err != nil {
		t.Fatal(err)
	}
	if why != "" {
		t.Fatalf("the Dockerfile's build is not static: %s", why)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "cozeauth ") {
		t.Fatalf("cozeauth version: %v %q", err, out)
	}
}

// staticELF tells a dynamic binary from a static one: the check above
// would fail if the build were dynamic.
func TestStaticELFSpotsDynamicBinaries(t *testing.T) {
	for _, p := range []string{"/bin/sh", "/usr/bin/env"} {
		if _, err := os.Stat(p); err != nil {
			continue
		}
		why, err := staticELF(p)
		if err != nil {
			t.Skipf("%s: %v", p, err)
		}
		if why == "" {
			t.Errorf("%s (dynamically linked on Debian) passed as static", p)
		}
		return
	}
	t.Skip("no dynamically linked program to compare with")
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "/out/coze auth" ./cmd/cozeauth`)
	want := []string{"CGO_ENABLED=0", "go", "build", "-trimpath", "-ldflags=-s -w", "-o", "/out/coze auth", "./cmd/cozeauth"}
	if err != nil || strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, %v", got, err)
	}
	for _, bad := range []string{`go build -ldflags='-s`, `go build $FLAGS`} {
		if _, err := shellWords(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// The image runs as a non-root user on a minimal base, checks its health
// without a shell, and the README shows the same static build.
func TestDockerfileShape(t *testing.T) {
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := string(df)
	froms := regexp.MustCompile(`(?m)^FROM (\S+)`).FindAllStringSubmatch(text, -1)
	if len(froms) < 2 {
		t.Fatalf("not a multi-stage build: %d FROM lines", len(froms))
	}
	if final := froms[len(froms)-1][1]; !strings.HasPrefix(final, "gcr.io/distroless/static") && final != "scratch" {
		t.Errorf("final stage %q is not distroless/static or scratch", final)
	}
	users := regexp.MustCompile(`(?m)^USER (\S+)`).FindAllStringSubmatch(text, -1)
	if len(users) == 0 || strings.HasPrefix(users[len(users)-1][1], "0") || strings.HasPrefix(users[len(users)-1][1], "root") {
		t.Errorf("the image does not end as a non-root USER: %v", users)
	}
	hc := regexp.MustCompile(`(?m)^HEALTHCHECK .*\\\n\s*CMD \["/usr/local/bin/cozeauth", "healthcheck"`).FindString(text)
	if hc == "" || !strings.Contains(text, "/healthz") {
		t.Error("no HEALTHCHECK running `cozeauth healthcheck` on /healthz (in exec form: distroless has no shell)")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), StaticBuild) {
		t.Errorf("README.md does not show the static build %q", StaticBuild)
	}
}
