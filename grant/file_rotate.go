package grant

import (
	"bytes"
	"context"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// rotateHook, when set by a test, runs before each record is re-sealed;
// an error aborts the rotation as a crash would.
var rotateHook func(n int) error

// RotateKey re-seals every grant under next's primary key in one
// transaction and replaces the store's key checks with next's keys; from
// then on the store uses next. The store's current keyring reads the old
// records, so next need not hold the old keys: once RotateKey returns, the
// old key can be dropped from COZEAUTH_STORE_KEY or the key file. A key id
// present in both rings must be the same key. Either every record is
// re-sealed and fsynced or, on any error or crash, none is: the store then
// opens with the old keyring as before. Other calls wait while it runs.
func (s *FileStore) RotateKey(ctx context.Context, next *Keyring) error {
	if next == nil {
		return fmt.Errorf("grant store %s: %w: no new keyring", s.path, ErrBadKey)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.kr
	for _, id := range next.IDs() {
		if old.Has(id) && !sameKey(old, next, id) {
			return fmt.Errorf("grant store %s: %w: key id %q names another key in the new keyring; give the new key a new id", s.path, ErrBadKey, id)
		}
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		all := tx.Bucket(bucketGrants)
		var apps [][]byte
		if err := all.ForEachBucket(func(app []byte) error {
			apps = append(apps, bytes.Clone(app))
			return nil
		}); err != nil {
			return err
		}
		n := 0
		for _, app := range apps {
			b := all.Bucket(app)
			type rec struct{ subject, sealed []byte }
			var recs []rec
			err := b.ForEach(func(subject, v []byte) error {
				if err := ctx.Err(); err != nil {
					return err
				}
				if rotateHook != nil {
					if err := rotateHook(n); err != nil {
						return err
					}
				}
				n++
				g, err := openGrant(old, string(app), string(subject), v)
				if err != nil {
					return recordError(string(app), string(subject), err)
				}
				sealed, err := sealGrant(next, g)
				if err != nil {
					return err
				}
				recs = append(recs, rec{bytes.Clone(subject), sealed})
				return nil
			})
			if err != nil {
				return err
			}
			for _, r := range recs { // bbolt forbids writes inside ForEach
				if err := b.Put(r.subject, r.sealed); err != nil {
					return err
				}
			}
		}
		if err := tx.DeleteBucket(bucketKeyCheck); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(bucketKeyCheck); err != nil {
			return err
		}
		return addKeyChecks(tx, next)
	})
	if err != nil {
		return fmt.Errorf("grant store %s: key rotation failed, nothing changed (the old key still opens the store): %w", s.path, err)
	}
	s.kr = next
	return nil
}

// sameKey reports whether two rings hold the same key under id, by
// sealing with one and opening with the other.
func sameKey(a, b *Keyring, id string) bool {
	ad := binding(purposeKeyCheck, id)
	_, err := b.unseal(a.sealWith(id, keyCheckValue, ad), ad)
	return err == nil
}
