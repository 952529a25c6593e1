package grant

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// storeWith makes a closed store at a new path holding n grants.
func storeWith(t *testing.T, n int) string {
	t.Helper()
	path, s := newFile(t)
	for i := range n {
		g := sample("web", "user-"+string(rune('a'+i%26))+strings.Repeat("x", i))
		if err := s.Put(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDurableAcrossReopen(t *testing.T) {
	path, s := newFile(t)
	ctx := context.Background()
	g := sample("web", "alice")
	if err := s.Put(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("store mode %v", fi.Mode().Perm())
	}
	if strings.Contains(string(mustRead(t, path)), testToken) || bytes.Contains(mustRead(t, path), []byte("coze-user-1")) {
		t.Fatal("a refresh token or user is in the file in clear")
	}
	s, err := OpenFile(path, ringA(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Get(ctx, "web", "alice")
	if err != nil || got.RefreshToken != testToken || got.Version != g.Version {
		t.Fatalf("after reopen: %v %v", got, err)
	}
	// Versions keep growing across a reopen.
	g2 := sample("web", "bob")
	if err := s.Put(ctx, g2); err != nil || g2.Version <= g.Version {
		t.Fatalf("version after reopen: %d (before %d) %v", g2.Version, g.Version, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*.new-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}

// refusedUnchanged opens path with kr, wants the error kind, and checks
// that the file's bytes did not change.
func refusedUnchanged(t *testing.T, path string, kr *Keyring, want error, says string) {
	t.Helper()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := OpenFile(path, kr)
	if err == nil {
		s.Close()
		t.Fatalf("opened; want %v", want)
	}
	if !errors.Is(err, want) {
		t.Fatalf("error %q; want %v", err, want)
	}
	for _, e := range []error{ErrForeignFile, ErrWrongKey, ErrCorrupt, ErrLocked} {
		if e != want && errors.Is(err, e) {
			t.Fatalf("error %q is also %v", err, e)
		}
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), says) {
		t.Fatalf("error %q does not name the file and say %q", err, says)
	}
	noSecrets(t, err)
	if after := mustRead(t, path); !bytes.Equal(before, after) {
		t.Fatal("a refused open changed the file")
	}
}

func TestWrongKeyIsRefused(t *testing.T) {
	path := storeWith(t, 3)
	refusedUnchanged(t, path, ringB(t), ErrWrongKey, `sealed with key id(s) ["a"]`)
	// Same id, other key.
	refusedUnchanged(t, path, ringOf(t, Key{"a", secretB}), ErrWrongKey, `key with id "a" is not the key`)
}

func TestForeignFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "config.yaml")
	os.WriteFile(text, []byte("apps:\n  - name: web\n"), 0o600)
	refusedUnchanged(t, text, ringA(t), ErrForeignFile, "not a database")

	random := filepath.Join(dir, "random.db")
	b := make([]byte, 64<<10)
	rand.NewChaCha8([32]byte{1}).Read(b)
	os.WriteFile(random, b, 0o600)
	refusedUnchanged(t, random, ringA(t), ErrForeignFile, "not a database")

	other := filepath.Join(dir, "other.db")
	db, err := bolt.Open(other, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Update(func(tx *bolt.Tx) error {
		b, _ := tx.CreateBucket([]byte("widgets"))
		return b.Put([]byte("k"), []byte("v"))
	})
	db.Close()
	refusedUnchanged(t, other, ringA(t), ErrForeignFile, "not one cozeauth made")

	if _, err := OpenFile(dir, ringA(t)); !errors.Is(err, ErrForeignFile) {
		t.Fatalf("a directory: %v", err)
	}
}

func TestDamagedFilesAreRefused(t *testing.T) {
	path := storeWith(t, 40)
	whole := mustRead(t, path)

	os.WriteFile(path, nil, 0o600)
	refusedUnchanged(t, path, ringA(t), ErrCorrupt, "empty")

	for _, n := range []int{100, 4096, 8192, len(whole) / 2} {
		os.WriteFile(path, whole[:n], 0o600)
		refusedUnchanged(t, path, ringA(t), ErrCorrupt, "restore it from a backup")
	}
	// Cut at any page: refused, or (when only unused pages at the end are
	// cut) opened with every grant.
	for n := 4096; n < len(whole); n += 4096 {
		os.WriteFile(path, whole[:n], 0o600)
		s, err := OpenFile(path, ringA(t))
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("cut at %d: %v", n, err)
			}
			continue
		}
		all, err := s.List(context.Background(), "")
		s.Close()
		if err != nil || len(all) != 40 {
			t.Fatalf("cut at %d: opened with %d grants, %v", n, len(all), err)
		}
	}

	// A flipped byte inside every page but the meta pages.
	rng := rand.New(rand.NewPCG(3, 4))
	refusals := 0
	for range 40 {
		b := bytes.Clone(whole)
		page := 2 + rng.IntN(len(b)/4096-2)
		b[page*4096+16+rng.IntN(4096-16)] ^= 0xFF
		os.WriteFile(path, b, 0o600)
		before := mustRead(t, path)
		s, err := OpenFile(path, ringA(t))
		if err == nil {
			// The byte was in free space: every grant must still open.
			if _, lerr := s.List(context.Background(), ""); lerr != nil {
				t.Fatalf("opened a damaged store whose grants do not open: %v", lerr)
			}
			s.Close()
			continue
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrForeignFile) {
			t.Fatalf("flipped byte: %v", err)
		}
		refusals++
		noSecrets(t, err)
		if !bytes.Equal(before, mustRead(t, path)) {
			t.Fatal("a refused open changed the file")
		}
	}
	if refusals == 0 {
		t.Fatal("no flipped byte was refused")
	}
	t.Logf("%d of 40 flipped bytes refused", refusals)
}

func TestSecondProcessIsRefused(t *testing.T) {
	defer func(d time.Duration) { lockTimeout = d }(lockTimeout)
	lockTimeout = 100 * time.Millisecond
	path, s := newFile(t)
	defer s.Close()
	_, err := OpenFile(path, ringA(t))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "another cozeauth is using it") {
		t.Fatalf("second open: %v", err)
	}
	if _, err := s.Get(context.Background(), "web", "x"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the first store broke: %v", err)
	}
}

// TestRecordMovedToAnotherSubjectIsRefused: the additional data binds a
// record to its app and subject.
func TestRecordMovedToAnotherSubjectIsRefused(t *testing.T) {
	path, s := newFile(t)
	ctx := context.Background()
	s.Put(ctx, sample("web", "alice"))
	s.Put(ctx, sample("web", "bob"))
	s.Put(ctx, sample("pkce", "bob"))
	s.Close()
	for _, to := range [][2]string{{"web", "mallory"}, {"pkce", "alice"}} {
		cp := filepath.Join(t.TempDir(), "moved.db")
		os.WriteFile(cp, mustRead(t, path), 0o600)
		db, err := bolt.Open(cp, 0o600, nil)
		if err != nil {
			t.Fatal(err)
		}
		err = db.Update(func(tx *bolt.Tx) error {
			g := tx.Bucket(bucketGrants)
			v := bytes.Clone(g.Bucket([]byte("web")).Get([]byte("alice")))
			return g.Bucket([]byte(to[0])).Put([]byte(to[1]), v)
		})
		db.Close()
		if err != nil {
			t.Fatal(err)
		}
		refusedUnchanged(t, cp, ringA(t), ErrCorrupt, `subject "`+to[1]+`"`)
	}
	// And directly: a sealed record opens for its own key only.
	kr := ringA(t)
	sealed, _ := sealGrant(kr, sample("web", "alice"))
	if _, err := openGrant(kr, "web", "alice", sealed); err != nil {
		t.Fatal(err)
	}
	for _, k := range [][2]string{{"web", "alicf"}, {"wed", "alice"}, {"webalice", ""}, {"we", "balice"}} {
		if _, err := openGrant(kr, k[0], k[1], sealed); err == nil {
			t.Fatalf("record opened as %v", k)
		}
	}
}

func TestRotateKey(t *testing.T) {
	ctx := context.Background()
	path := storeWith(t, 30)
	s, err := OpenFile(path, ringA(t))
	if err != nil {
		t.Fatal(err)
	}
	before, _ := s.List(ctx, "")
	if err := s.RotateKey(ctx, ringB(t)); err != nil {
		t.Fatal(err)
	}
	// The running store goes on, writes under the new key.
	if err := s.Put(ctx, sample("web", "after")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	refusedUnchanged(t, path, ringA(t), ErrWrongKey, `sealed with key id(s) ["b"]`)
	s, err = OpenFile(path, ringB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	after, _ := s.List(ctx, "")
	if len(after) != len(before)+1 {
		t.Fatalf("%d grants before, %d after", len(before), len(after))
	}
	g, err := s.Get(ctx, "web", before[0].Subject)
	if err != nil || g.RefreshToken != testToken || g.Version != before[0].Version {
		t.Fatalf("after rotation: %v %v", g, err)
	}
	// A key id reused for another key is refused, nothing changes.
	err = s.RotateKey(ctx, ringOf(t, Key{"b", secretA}))
	if !errors.Is(err, ErrBadKey) {
		t.Fatalf("reused id: %v", err)
	}
	noSecrets(t, err)
}

// TestRotateKeyCrashLeavesOldKey: an error in the middle of a rotation
// leaves the store as it was, readable with the old key.
func TestRotateKeyCrashLeavesOldKey(t *testing.T) {
	ctx := context.Background()
	path := storeWith(t, 30)
	s, err := OpenFile(path, ringA(t))
	if err != nil {
		t.Fatal(err)
	}
	crash := errors.New("simulated crash")
	rotateHook = func(n int) error {
		if n == 15 {
			return crash
		}
		return nil
	}
	defer func() { rotateHook = nil }()
	if err := s.RotateKey(ctx, ringB(t)); !errors.Is(err, crash) {
		t.Fatalf("rotation: %v", err)
	}
	rotateHook = nil
	if _, err := s.List(ctx, ""); err != nil {
		t.Fatalf("the running store broke: %v", err)
	}
	s.Close()
	refusedUnchanged(t, path, ringB(t), ErrWrongKey, "sealed with key id")
	s, err = OpenFile(path, ringA(t))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if all, err := s.List(ctx, ""); err != nil || len(all) != 30 {
		t.Fatalf("after the failed rotation: %d %v", len(all), err)
	}
	// A keyring with both keys opens either way and then rotates.
	if err := s.RotateKey(ctx, ringOf(t, Key{"b", secretB}, Key{"a", secretA})); err != nil {
		t.Fatal(err)
	}
}

func TestOpenWithNewPrimaryAddsItsCheck(t *testing.T) {
	ctx := context.Background()
	path := storeWith(t, 2)
	both := ringOf(t, Key{"b", secretB}, Key{"a", secretA})
	s, err := OpenFile(path, both)
	if err != nil {
		t.Fatal(err)
	}
	s.Put(ctx, sample("web", "new"))
	s.Close()
	// Records now use both keys: only a ring with both opens it.
	refusedUnchanged(t, path, ringA(t), ErrWrongKey, `is sealed with key id "b"`)
	refusedUnchanged(t, path, ringOf(t, Key{"b", secretA}, Key{"a", secretA}), ErrWrongKey, `key with id "b" is not the key`)
	s, err = OpenFile(path, both)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
}

func TestOpeningWritesNothing(t *testing.T) {
	path := storeWith(t, 5)
	before := mustRead(t, path)
	s, err := OpenFile(path, ringA(t))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.List(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if !bytes.Equal(before, mustRead(t, path)) {
		t.Fatal("opening and reading changed the file")
	}
}
