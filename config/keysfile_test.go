package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestEditKeysFileConcurrentEditsAllSurvive: read-modify-write cycles
// racing on one keys file lose nothing.
func TestEditKeysFileConcurrentEditsAllSurvive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys.yaml")
	const n = 20
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			err := EditKeysFile(p, func(cur []ClientEntry) ([]ClientEntry, error) {
				return append(cur, ClientEntry{Name: fmt.Sprint("c", i), Policy: "p", KeyHash: fmt.Sprint("h", i)}), nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := ReadKeysFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d clients kept of %d created", len(got), n)
	}
	if st, _ := os.Stat(p); st.Mode().Perm() != 0o600 {
		t.Fatalf("mode %o", st.Mode().Perm())
	}
}

func TestEditKeysFileErrorChangesNothing(t *testing.T) {
	p := filepath.Join(t.TempDir(), "keys.yaml")
	if err := WriteKeysFile(p, []ClientEntry{{Name: "a", Policy: "p", KeyHash: "h"}}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(p)
	boom := errors.New("boom")
	if err := EditKeysFile(p, func([]ClientEntry) ([]ClientEntry, error) { return nil, boom }); err != boom {
		t.Fatalf("err = %v", err)
	}
	if after, _ := os.ReadFile(p); string(after) != string(before) {
		t.Fatal("a failed edit changed the file")
	}
}
