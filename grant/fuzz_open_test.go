package grant

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzOpenFile: opening arbitrary bytes as a store never panics, never
// changes a file it refuses, and succeeds only on a store whose every
// grant opens under the key.
func FuzzOpenFile(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("not a database"))
	f.Fuzz(func(t *testing.T, b []byte) {
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
			if err != nil || g.Version != m.Version {
				t.Fatalf("opened, but %s/%s does not read: %v", m.App, m.Subject, err)
			}
		}
		if err := s.Put(ctx, sample("web", "fuzz")); err != nil {
			t.Fatalf("opened, but cannot write: %v", err)
		}
	})
}
