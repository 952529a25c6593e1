// Package atomicfile replaces files so that a reader sees the old or the
// new content whole, never a mix or a prefix, and serializes the
// read-modify-write cycles of cooperating processes with an advisory
// lock on a sidecar file.
package atomicfile
