// Package atomicfile replaces files so that a reader sees the old or the
// new content whole, never a mix or a prefix, and serializes the
// read-modify-write cycles of cooperating processes with an advisory
// lock on a sidecar file.
package atomicfile

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Write replaces the file at path with data, mode perm (whatever the
// umask): it writes a temporary file in the same directory, syncs it,
// renames it over path and syncs the directory, so after a crash path
// holds either the old or the new content. The temporary file is removed
// on failure.
func Write(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(perm); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename in dir durable; where a directory cannot be
// synced (Windows) it does nothing.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// LockPath is the sidecar file Lock locks for path.
func LockPath(path string) string { return path + ".lock" }

// Lock takes an exclusive advisory lock for editing path, waiting while
// another process (or goroutine) holds it, and returns the function that
// releases it. The lock is on the sidecar file LockPath(path), never on
// path itself, so it survives path being replaced by Write. Only
// cooperating writers that call Lock are held off; readers need no lock
// because Write replaces path whole.
func Lock(path string) (unlock func(), err error) {
	return lock(LockPath(path))
}
