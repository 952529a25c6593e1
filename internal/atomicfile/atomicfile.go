package atomicfile

import (
	"errors"
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
			os.Remove(tmp.Name())
		}
	}()
	if err = writeSynced(tmp, data, perm); err != nil {
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

// WriteNew creates path with data and mode perm, failing with an error
// that matches fs.ErrExist when path exists. Like Write, the content
// appears whole (a synced temporary file is linked into place), never as
// a prefix; where hard links are not supported it falls back to an
// exclusive create, synced before it returns.
func WriteNew(path string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err = writeSynced(tmp, data, perm); err != nil {
		return err
	}
	err = os.Link(tmp.Name(), path)
	if err == nil || errors.Is(err, fs.ErrExist) {
		if err == nil {
			syncDir(dir)
		}
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if err := writeSynced(f, data, perm); err != nil {
		os.Remove(path)
		return err
	}
	syncDir(dir)
	return nil
}

// writeSynced writes data into f with mode perm, syncs and closes it.
func writeSynced(f *os.File, data []byte, perm fs.FileMode) error {
	err := f.Chmod(perm)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
