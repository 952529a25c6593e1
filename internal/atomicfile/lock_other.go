//go:build !unix

package atomicfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// lock, where flock is missing, creates the lock file exclusively and
// removes it on unlock; it waits up to a minute for another holder.
func lock(lockPath string) (func(), error) {
	deadline := time.Now().Add(time.Minute)
	for {
		f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
		if err == nil {
			f.Close()
			return func() { os.Remove(lockPath) }, nil
		}
		if !errors.Is(err, fs.ErrExist) || time.Now().After(deadline) {
			return nil, fmt.Errorf("lock %s: %w (if no other cozeauth is editing, remove it)", lockPath, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
