//go:build !unix

package server

// openFileLimit is unknown here: the default cap applies.
func openFileLimit() int { return 0 }
