package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadStableRetriesAFileWrittenDuringTheRead: a reader that catches a
// writer half-way (a prefix on disk) must not return the prefix.
func TestReadStableRetriesAFileWrittenDuringTheRead(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	const head, tail = "apps:\n  - name: a\n", "policies:\n  - name: p\n"
	os.WriteFile(p, []byte(head), 0o600)
	calls := 0
	afterRead = func(string) {
		calls++
		if calls == 1 { // the writer finishes while we read
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString(tail)
			f.Close()
		}
	}
	t.Cleanup(func() { afterRead = func(string) {} })
	data, err := ReadStable(p)
	if err != nil {
		t.Fatal(err)
	}
	if string(data) != head+tail {
		t.Fatalf("read %q, want the whole file", data)
	}
	if calls != 2 {
		t.Fatalf("%d reads, want 2", calls)
	}
}

func TestReadStableGivesUpOnAFileThatNeverSettles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(p, []byte("apps:\n"), 0o600)
	afterRead = func(string) {
		f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
		f.WriteString("#\n")
		f.Close()
	}
	t.Cleanup(func() { afterRead = func(string) {} })
	if _, err := ReadStable(p); err == nil || !strings.Contains(err.Error(), "kept changing") {
		t.Fatalf("err = %v", err)
	}
}

func TestStampSeesRenameOver(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.yaml")
	os.WriteFile(p, []byte("same"), 0o600)
	a := StampOf(p)
	if !a.Same(StampOf(p)) {
		t.Fatal("unchanged file has a new stamp")
	}
	q := filepath.Join(dir, "new")
	os.WriteFile(q, []byte("same"), 0o600)
	os.Chtimes(q, a.info.ModTime(), a.info.ModTime())
	os.Rename(q, p)
	if a.Same(StampOf(p)) {
		t.Fatal("a file renamed over with the same size and time kept its stamp")
	}
	if !StampOf(filepath.Join(dir, "none")).Same(Stamp{}) {
		t.Fatal("missing files differ")
	}
}
