package grant

import (
	"context"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// view runs fn in a read transaction with the current keyring.
func (s *FileStore) view(ctx context.Context, fn func(tx *bolt.Tx, kr *Keyring) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.storeError(s.db.View(func(tx *bolt.Tx) error { return fn(tx, s.kr) }))
}

// update runs fn in a write transaction with the current keyring; bbolt
// fsyncs the commit before it returns. Concurrent writers share one
// transaction and one fsync (bbolt's Batch), so fn may run more than once
// (its transaction rolled back each time but the last) and must set its
// results afresh on every run. A fn that fails runs again alone, so one
// writer's ErrConflict never fails another's write.
func (s *FileStore) update(ctx context.Context, fn func(tx *bolt.Tx, kr *Keyring) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.storeError(s.db.Batch(func(tx *bolt.Tx) error { return fn(tx, s.kr) }))
}

func (s *FileStore) storeError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, berrors.ErrDatabaseNotOpen):
		return fmt.Errorf("grant store %s: %w", s.path, ErrClosed)
	case errors.Is(err, ErrNotFound), errors.Is(err, ErrConflict), errors.Is(err, ErrInvalid):
		return err
	}
	return fmt.Errorf("grant store %s: %w", s.path, err)
}

// get reads and unseals (app, subject) in tx.
func get(tx *bolt.Tx, kr *Keyring, app, subject string) (*Grant, error) {
	b := tx.Bucket(bucketGrants).Bucket([]byte(app))
	if b == nil {
		return nil, notFound(app, subject)
	}
	v := b.Get([]byte(subject))
	if v == nil {
		return nil, notFound(app, subject)
	}
	g, err := openGrant(kr, app, subject, v)
	return g, recordError(app, subject, err)
}

// put seals g under a new version and writes it in tx; it sets g.Version
// only through the returned value, for the caller to apply on commit.
func put(tx *bolt.Tx, kr *Keyring, g *Grant) (uint64, error) {
	all := tx.Bucket(bucketGrants)
	version, err := all.NextSequence()
	if err != nil {
		return 0, err
	}
	b, err := all.CreateBucketIfNotExists([]byte(g.App))
	if err != nil {
		return 0, err
	}
	c := g.clone()
	c.Version = version
	sealed, err := sealGrant(kr, c)
	if err != nil {
		return 0, err
	}
	return version, b.Put([]byte(g.Subject), sealed)
}

// Get implements Store.
func (s *FileStore) Get(ctx context.Context, app, subject string) (*Grant, error) {
	var g *Grant
	err := s.view(ctx, func(tx *bolt.Tx, kr *Keyring) (err error) {
		g, err = get(tx, kr, app, subject)
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// Put implements Store. It returns once the grant is fsynced.
func (s *FileStore) Put(ctx context.Context, g *Grant) error {
	if err := g.check(); err != nil {
		return err
	}
	var v uint64
	err := s.update(ctx, func(tx *bolt.Tx, kr *Keyring) (err error) {
		v, err = put(tx, kr, g)
		return err
	})
	if err == nil {
		g.Version = v
	}
	return err
}

// Swap implements Store. It returns once the new grant is fsynced.
func (s *FileStore) Swap(ctx context.Context, old, next *Grant) error {
	if err := checkSwap(old, next); err != nil {
		return err
	}
	var v uint64
	err := s.update(ctx, func(tx *bolt.Tx, kr *Keyring) error {
		cur, err := get(tx, kr, old.App, old.Subject)
		if err != nil {
			return err
		}
		if cur.Version != old.Version {
			return conflict(old.App, old.Subject, old.Version, cur.Version)
		}
		v, err = put(tx, kr, next)
		return err
	})
	if err == nil {
		next.Version = v
	}
	return err
}

// MarkNeedsLogin implements Store. It returns once the change is fsynced.
func (s *FileStore) MarkNeedsLogin(ctx context.Context, app, subject string, version uint64, reason string) error {
	if err := checkKey(app, subject); err != nil {
		return err
	}
	return s.update(ctx, func(tx *bolt.Tx, kr *Keyring) error {
		cur, err := get(tx, kr, app, subject)
		if err != nil {
			return err
		}
		if cur.Version != version {
			return conflict(app, subject, version, cur.Version)
		}
		_, err = put(tx, kr, markedNeedsLogin(cur, reason))
		return err
	})
}

// Delete implements Store. It returns once the removal is fsynced.
func (s *FileStore) Delete(ctx context.Context, app, subject string) error {
	return s.update(ctx, func(tx *bolt.Tx, _ *Keyring) error {
		all := tx.Bucket(bucketGrants)
		b := all.Bucket([]byte(app))
		if b == nil || b.Get([]byte(subject)) == nil {
			return notFound(app, subject)
		}
		if err := b.Delete([]byte(subject)); err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k == nil {
			return all.DeleteBucket([]byte(app))
		}
		return nil
	})
}

// List implements Store. A record that does not open fails the whole
// list with ErrCorrupt or ErrWrongKey naming it.
func (s *FileStore) List(ctx context.Context, app string) ([]Meta, error) {
	var out []Meta
	err := s.view(ctx, func(tx *bolt.Tx, kr *Keyring) error {
		all := tx.Bucket(bucketGrants)
		return all.ForEachBucket(func(name []byte) error {
			if app != "" && string(name) != app {
				return nil
			}
			return all.Bucket(name).ForEach(func(subject, v []byte) error {
				g, err := openGrant(kr, string(name), string(subject), v)
				if err != nil {
					return recordError(string(name), string(subject), err)
				}
				out = append(out, g.Meta())
				return nil
			})
		})
	})
	if err != nil {
		return nil, err
	}
	sortMetas(out)
	return out, nil
}

// Close implements Store: it waits for calls under way, then releases the
// file and its lock.
func (s *FileStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.db.Close()
}
