package grant

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultFileName is the store's file name inside the data directory.
const DefaultFileName = "grants.db"

// Layout of the bbolt file:
//
//	"cozeauth"  header: "magic" = fileMagic, "format" = uint32 big-endian
//	"keycheck"  key id -> a known value sealed with that key
//	"grants"    app -> bucket: subject -> sealed record
//
// The grants bucket's sequence gives every write its version.
var (
	bucketHeader   = []byte("cozeauth")
	bucketKeyCheck = []byte("keycheck")
	bucketGrants   = []byte("grants")
	keyMagic       = []byte("magic")
	keyFormat      = []byte("format")
	fileMagic      = []byte("cozeauth grant store")
	keyCheckValue  = []byte("cozeauth store key check")
)

const fileFormat = 1

// lockTimeout is how long OpenFile waits for another process's lock.
var lockTimeout = 2 * time.Second

// batchDelay is how long a write waits for others to share its fsync.
const batchDelay = time.Millisecond

// boltMagic is bbolt's magic number, at offset 16 of a bbolt file.
const boltMagic = 0xED0CDAED

// FileStore is the embedded Store: one bbolt file, every record sealed,
// each write fsynced before it returns. Safe for concurrent use; one
// process at a time holds the file.
type FileStore struct {
	path string
	db   *bolt.DB

	mu sync.RWMutex // held for reading by every call, for writing by RotateKey
	kr *Keyring
}

var _ Store = (*FileStore)(nil)

// OpenFile opens the grant store at path, creating it (and its directory,
// mode 0700) when there is no file. An existing file is first checked
// read-only, every record unsealed, and refused without being modified
// when it is not a cozeauth store (ErrForeignFile), when kr does not hold
// its keys (ErrWrongKey), when it is truncated or damaged (ErrCorrupt),
// or when another process has it open (ErrLocked). A new file is built
// beside path and linked into place whole, so a crash never leaves a
// half-made store.
func OpenFile(path string, kr *Keyring) (*FileStore, error) {
	if kr == nil {
		return nil, fmt.Errorf("grant store %s: %w: no keyring", path, ErrBadKey)
	}
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		if err := create(path, kr); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, fmt.Errorf("grant store %s: %w", path, err)
	}
	if err := verify(path, kr); err != nil {
		return nil, err
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return nil, openError(path, err)
	}
	db.MaxBatchDelay = batchDelay
	s := &FileStore{path: path, db: db, kr: kr}
	// Another process may have changed the file between the check and
	// the lock: check the keys again, then record checks for any new key.
	missing := false
	err = db.View(func(tx *bolt.Tx) error {
		if err := checkHeader(tx); err != nil {
			return err
		}
		for _, id := range kr.IDs() {
			missing = missing || tx.Bucket(bucketKeyCheck).Get([]byte(id)) == nil
		}
		return checkKeys(tx, kr)
	})
	if err == nil && missing {
		err = db.Update(func(tx *bolt.Tx) error { return addKeyChecks(tx, kr) })
	}
	if err != nil {
		_ = db.Close()
		return nil, refused(path, err)
	}
	return s, nil
}

// Path returns the store's file.
func (s *FileStore) Path() string { return s.path }

// create makes a new store at path: built in a temporary file, synced,
// then hard-linked to path (which fails if path appeared meanwhile).
func create(path string, kr *Keyring) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("grant store %s: cannot create its directory: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".new-*")
	if err != nil {
		return fmt.Errorf("grant store %s: cannot create: %w", path, err)
	}
	name := tmp.Name()
	_ = tmp.Close()
	defer os.Remove(name)
	if err := os.Chmod(name, 0o600); err != nil {
		return fmt.Errorf("grant store %s: %w", path, err)
	}
	db, err := bolt.Open(name, 0o600, &bolt.Options{Timeout: lockTimeout})
	if err != nil {
		return fmt.Errorf("grant store %s: cannot create: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		h, err := tx.CreateBucket(bucketHeader)
		if err != nil {
			return err
		}
		if err := h.Put(keyMagic, fileMagic); err != nil {
			return err
		}
		if err := h.Put(keyFormat, binary.BigEndian.AppendUint32(nil, fileFormat)); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketKeyCheck); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketGrants); err != nil {
			return err
		}
		return addKeyChecks(tx, kr)
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("grant store %s: cannot create: %w", path, err)
	}
	if err := os.Link(name, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil // another process made it: verify theirs
		}
		return fmt.Errorf("grant store %s: cannot create: %w", path, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// verify checks an existing file read-only: bbolt's own header, then ours,
// the keys, and every record. It never writes to the file.
func verify(path string, kr *Keyring) error {
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("grant store %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("grant store %s: %w: it is not a regular file; point the data directory elsewhere", path, ErrForeignFile)
	}
	if fi.Size() == 0 {
		return fmt.Errorf("grant store %s: %w: the file is empty (truncated?); restore it from a backup, or move it away to start a new store", path, ErrCorrupt)
	}
	if err := sniff(path); err != nil {
		return err
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("grant store %s: %w", path, err)
	}
	if err := checkPages(b); err != nil {
		return fmt.Errorf("grant store %s: %w: %v (truncated or overwritten?); restore it from a backup, or move it away to start a new store", path, ErrCorrupt, err)
	}
	return verifyDB(path, fi.Size(), kr)
}

// sniff tells a bbolt file from anything else by bbolt's magic number.
func sniff(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("grant store %s: %w", path, err)
	}
	defer f.Close()
	var head [24]byte
	n, err := io.ReadFull(f, head[:])
	if n >= 20 && binary.LittleEndian.Uint32(head[16:20]) == boltMagic {
		return nil
	}
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("grant store %s: %w", path, err)
	}
	return fmt.Errorf("grant store %s: %w: the file is not a database; move it away or set another data directory (cozeauth never overwrites it)", path, ErrForeignFile)
}

// verifyDB opens the file read-only, after checkPages, and checks our
// header, the keys and every record. Should a page still upset bbolt, a
// panic or memory fault while reading becomes ErrCorrupt, and the file is
// closed and unmapped, so its lock is released. It runs on its own goroutine so
// that SetPanicOnFault touches nothing else.
func verifyDB(path string, size int64, kr *Keyring) error {
	done := make(chan error, 1)
	go func() {
		debug.SetPanicOnFault(true)
		var (
			file *os.File
			db   *bolt.DB
		)
		defer func() {
			if r := recover(); r != nil {
				if db != nil {
					_ = db.Close()
				} else if file != nil {
					_ = file.Close()
				}
				done <- fmt.Errorf("grant store %s: %w: its pages are inconsistent; restore it from a backup, or move it away to start a new store", path, ErrCorrupt)
			}
		}()
		// No PreLoadFreelist: opening read-only then reads only the two
		// meta pages, which bbolt checksums; the rest is read below.
		opts := &bolt.Options{
			ReadOnly: true, Timeout: lockTimeout,
			OpenFile: func(name string, flag int, mode os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, mode)
				file = f
				return f, err
			},
		}
		var err error
		db, err = bolt.Open(path, 0o600, opts)
		if err != nil {
			done <- openError(path, err)
			return
		}
		err = db.View(func(tx *bolt.Tx) error {
			if tx.Size() > size {
				return fmt.Errorf("%w: the file has %d bytes but its header says %d (truncated?); restore it from a backup, or move it away to start a new store", ErrCorrupt, size, tx.Size())
			}
			if err := checkHeader(tx); err != nil {
				return err
			}
			if err := checkKeys(tx, kr); err != nil {
				return err
			}
			return checkRecords(tx, kr)
		})
		_ = db.Close()
		done <- refused(path, err)
	}()
	return <-done
}

// openError explains an error of bolt.Open on a file with bbolt's magic.
func openError(path string, err error) error {
	switch {
	case errors.Is(err, berrors.ErrTimeout):
		return fmt.Errorf("grant store %s: %w: another cozeauth is using it (waited %s for its lock); stop it, or give this one another --data-dir", path, ErrLocked, lockTimeout)
	case errors.Is(err, os.ErrPermission):
		return fmt.Errorf("grant store %s: %w: run cozeauth as the file's owner", path, err)
	}
	// The file has bbolt's magic (sniff), so bbolt refusing it means a
	// damaged header, a truncated file or a bad page size.
	return fmt.Errorf("grant store %s: %w: its database header is damaged or the file is truncated (%v); restore it from a backup, or move it away to start a new store", path, ErrCorrupt, err)
}

// refused prefixes a check's error with the file's name.
func refused(path string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("grant store %s: %w", path, err)
}

// checkHeader checks that the file is a cozeauth store this code reads.
func checkHeader(tx *bolt.Tx) error {
	h := tx.Bucket(bucketHeader)
	if h == nil || !bytes.Equal(h.Get(keyMagic), fileMagic) {
		return fmt.Errorf("%w: it is a database, but not one cozeauth made; move it away or set another data directory (cozeauth never overwrites it)", ErrForeignFile)
	}
	f := h.Get(keyFormat)
	if len(f) != 4 {
		return fmt.Errorf("%w: its format number is damaged; restore it from a backup", ErrCorrupt)
	}
	if v := binary.BigEndian.Uint32(f); v != fileFormat {
		return fmt.Errorf("%w: it has format %d, this cozeauth reads format %d; run the cozeauth that wrote it", ErrForeignFile, v, fileFormat)
	}
	if tx.Bucket(bucketKeyCheck) == nil || tx.Bucket(bucketGrants) == nil {
		return fmt.Errorf("%w: a bucket is missing; restore it from a backup", ErrCorrupt)
	}
	return nil
}

// checkKeys checks the ring against the store's key checks: every id both
// hold must be the same key, and at least one must be shared.
func checkKeys(tx *bolt.Tx, kr *Keyring) error {
	var storeIDs []string
	shared := 0
	err := tx.Bucket(bucketKeyCheck).ForEach(func(k, v []byte) error {
		id := string(k)
		if v == nil {
			return fmt.Errorf("%w: the key check of %q is a bucket; restore it from a backup", ErrCorrupt, id)
		}
		storeIDs = append(storeIDs, id)
		if !kr.Has(id) {
			return nil
		}
		shared++
		pt, err := kr.unseal(v, binding(purposeKeyCheck, id))
		if err != nil || !bytes.Equal(pt, keyCheckValue) {
			return fmt.Errorf("%w: the key with id %q is not the key this store was sealed with; give the store's key (%s or the key file)", ErrWrongKey, id, EnvStoreKey)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(storeIDs) == 0 {
		return fmt.Errorf("%w: it records no key; restore it from a backup", ErrCorrupt)
	}
	if shared == 0 {
		return fmt.Errorf("%w: the store is sealed with key id(s) %q but the keyring holds %q; give the store's key (%s or the key file)", ErrWrongKey, storeIDs, kr.IDs(), EnvStoreKey)
	}
	return nil
}

// checkRecords unseals every record; the grants bucket holds only app
// buckets, and they hold only grants.
func checkRecords(tx *bolt.Tx, kr *Keyring) error {
	all := tx.Bucket(bucketGrants)
	return all.ForEach(func(app, v []byte) error {
		if v != nil {
			return fmt.Errorf("%w: a value stands where app %q should be a bucket; restore it from a backup", ErrCorrupt, app)
		}
		return all.Bucket(app).ForEach(func(subject, v []byte) error {
			if v == nil {
				return fmt.Errorf("%w: app %q holds a bucket where a grant should be; restore it from a backup", ErrCorrupt, app)
			}
			_, err := openGrant(kr, string(app), string(subject), v)
			return recordError(string(app), string(subject), err)
		})
	})
}

// recordError classifies a record that does not open.
func recordError(app, subject string, err error) error {
	if err == nil {
		return nil
	}
	var unknown errUnknownKeyID
	if errors.As(err, &unknown) {
		return fmt.Errorf("%w: grant for app %q subject %q is %v; add that key to the keyring", ErrWrongKey, app, subject, unknown)
	}
	return fmt.Errorf("%w: grant for app %q subject %q: %v; restore the store from a backup, or revoke that grant", ErrCorrupt, app, subject, err)
}

// addKeyChecks records a check value for every key of the ring the store
// does not know yet.
func addKeyChecks(tx *bolt.Tx, kr *Keyring) error {
	kc := tx.Bucket(bucketKeyCheck)
	for _, id := range kr.IDs() {
		if kc.Get([]byte(id)) != nil {
			continue
		}
		if err := kc.Put([]byte(id), kr.sealWith(id, keyCheckValue, binding(purposeKeyCheck, id))); err != nil {
			return err
		}
	}
	return nil
}
