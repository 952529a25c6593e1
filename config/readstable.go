package config

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"
)

// Stamp identifies one version of a file: which file (device and inode),
// its size and its modification time. A rewrite in place or a rename over
// it changes the stamp.
type Stamp struct{ info fs.FileInfo }

// StampOf stamps the file at path; a missing or unreadable file has the
// zero Stamp.
func StampOf(path string) Stamp {
	fi, err := os.Stat(path)
	if err != nil {
		return Stamp{}
	}
	return Stamp{fi}
}

// Same reports whether s and o are the same version of the same file
// (two zero Stamps are the same: both missing).
func (s Stamp) Same(o Stamp) bool {
	if s.info == nil || o.info == nil {
		return s.info == nil && o.info == nil
	}
	return os.SameFile(s.info, o.info) && s.info.Size() == o.info.Size() && s.info.ModTime().Equal(o.info.ModTime())
}

// Reading a file that is being written is retried this many times, the
// n-th retry after n*stableRetryDelay.
const (
	stableTries      = 8
	stableRetryDelay = 25 * time.Millisecond
)

// afterRead runs between reading a file and checking its stamp again;
// tests use it to change the file mid-read.
var afterRead = func(string) {}

// ReadStable reads the whole file at path and returns its content only if
// the file did not change while it was read: same file, size and
// modification time before and after, and as many bytes read as its size.
// A file that changes during the read is read again (a bounded number of
// times), so a writer caught half-way is never mistaken for a shorter
// file.
func ReadStable(path string) ([]byte, error) {
	for try := 1; ; try++ {
		data, before, err := readOnce(path)
		if err != nil {
			return nil, err
		}
		afterRead(path)
		if (Stamp{before}).Same(StampOf(path)) && int64(len(data)) == before.Size() {
			return data, nil
		}
		if try == stableTries {
			return nil, fmt.Errorf("%s kept changing while being read (%d tries): let whatever writes it finish, then retry", path, try)
		}
		time.Sleep(time.Duration(try) * stableRetryDelay)
	}
}

// readOnce reads the file at path and returns what it was before the read.
func readOnce(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	before, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, nil, err
	}
	return data, before, nil
}
