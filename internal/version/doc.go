// Package version says which build of cozeauth is running: the main
// module's version, the commit it was built from, that commit's time and
// whether the working tree had uncommitted changes, all read from the build
// information the Go toolchain embeds (runtime/debug.ReadBuildInfo). A build
// from a git checkout (go build, go install ./cmd/cozeauth) names its commit
// without any -ldflags; a build outside version control says "unknown".
package version
