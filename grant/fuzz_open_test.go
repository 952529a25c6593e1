package grant

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// validStore is the bytes of a small valid store, made once per process.
var validStore = sync.OnceValue(func() []byte {
	dir, err := os.MkdirTemp("", "grant-fuzz-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, DefaultFileName)
	kr, _ := NewKeyring(Key{"a", secretA})
	s, err := OpenFile(path, kr)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for _, k := range [][2]string{{"web", "alice"}, {"web", "bob"}, {"pkce", "carol"}} {
		if err := s.Put(ctx, sample(k[0], k[1])); err != nil {
			panic(err)
		}
	}
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	return b
})

// fuzzFile turns a fuzz input into file bytes. Mode 0: the rest is the
// file. Mode 1: the rest edits a valid store: a 3-byte offset and a byte
// per edit, and a last short group cuts the file at that offset. Small
// inputs so reach deep into a real store's pages.
func fuzzFile(in []byte) []byte {
	if len(in) == 0 || in[0]%2 == 0 {
		if len(in) == 0 {
			return nil
		}
		return in[1:]
	}
	b := bytes.Clone(validStore())
	rest := in[1:]
	for len(rest) >= 4 {
		off := (int(rest[0])<<16 | int(rest[1])<<8 | int(rest[2])) % len(b)
		b[off] = rest[3]
		rest = rest[4:]
	}
	if len(rest) == 3 {
		b = b[:(int(rest[0])<<16|int(rest[1])<<8|int(rest[2]))%(len(b)+1)]
	}
	return b
}

// FuzzOpenFile: opening arbitrary bytes as a store never panics, never
// changes a file it refuses, and succeeds only on a store whose every
// grant opens under the key.
func FuzzOpenFile(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte("\x00not a database"))
	f.Add([]byte{1})                               // the valid store
	f.Add([]byte{1, 0, 0x20, 0x00})                // cut at 8 KiB
	f.Add([]byte{1, 0, 0x00, 0x10, 0xFF})          // meta 0 damaged
	f.Add([]byte{1, 0, 0x30, 0x08, 0x07, 0, 0x40}) // a page's flags, cut
	f.Fuzz(func(t *testing.T, in []byte) {
		b := fuzzFile(in)
		path := filepath.Join(t.TempDir(), DefaultFileName)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := OpenFile(path, ringA(t))
		if err != nil {
			if !errors.Is(err, ErrForeignFile) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrWrongKey) {
				t.Fatalf("refused with an unclassified error: %v", err)
			}
			if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
				t.Fatal("a refused open changed the file")
			}
			return
		}
		defer s.Close()
		ctx := context.Background()
		all, err := s.List(ctx, "")
		if err != nil {
			t.Fatalf("opened, but its grants do not list: %v", err)
		}
		for _, m := range all {
			g, err := s.Get(ctx, m.App, m.Subject)
			if err != nil || g.Version != m.Version || g.RefreshToken != testToken {
				t.Fatalf("opened, but %s/%s does not read: %v", m.App, m.Subject, err)
			}
		}
		if err := s.Put(ctx, sample("web", "fuzz")); err != nil {
			t.Fatalf("opened, but cannot write: %v", err)
		}
	})
}
