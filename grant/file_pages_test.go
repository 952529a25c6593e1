package grant

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/fnv"
	"os"
	"testing"
)

// rootElement finds the top-level bucket named name in a store's bytes
// and returns the offset of its bucket value (root page id, sequence).
func rootElement(t *testing.T, b []byte, name string) int {
	t.Helper()
	m, err := pickMeta(b)
	if err != nil {
		t.Fatal(err)
	}
	ne := binary.NativeEndian
	ps := int(ne.Uint32(m[8:]))
	off := int(ne.Uint64(m[16:])) * ps
	if ne.Uint16(b[off+8:]) != flagLeaf {
		t.Fatal("root page is not a leaf")
	}
	for i := range int(ne.Uint16(b[off+10:])) {
		at := off + pageHeaderSize + i*elementSize
		pos, ksize := int(ne.Uint32(b[at+4:])), int(ne.Uint32(b[at+8:]))
		if string(b[at+pos:at+pos+ksize]) == name {
			return at + pos + ksize
		}
	}
	t.Fatalf("no bucket %q", name)
	return 0
}

// TestCheckPagesRefusesBadStructure: what would send bbolt outside its
// map or round a cycle is refused before bbolt reads it.
func TestCheckPagesRefusesBadStructure(t *testing.T) {
	path := storeWith(t, 60)
	whole := mustRead(t, path)
	if err := checkPages(whole); err != nil {
		t.Fatalf("a valid store: %v", err)
	}
	ne := binary.NativeEndian
	v := rootElement(t, whole, "grants")
	grantsRoot := ne.Uint64(whole[v:])
	if grantsRoot == 0 {
		t.Fatal("grants bucket is inline; the test needs a page")
	}
	m, _ := pickMeta(whole)
	rootPage := ne.Uint64(m[16:])
	ps := int(ne.Uint32(m[8:]))
	metaOff := bytes.Index(whole, m) // the meta bbolt uses

	for name, tc := range map[string]struct {
		edit func(b []byte)
		says string
	}{
		"bucket root far outside":   {func(b []byte) { ne.PutUint64(b[v:], 1<<40) }, "outside"},
		"bucket root is a meta":     {func(b []byte) { ne.PutUint64(b[v:], 1) }, "outside"},
		"bucket root is its parent": {func(b []byte) { ne.PutUint64(b[v:], rootPage) }, "reached twice"},
		"page header lies": {func(b []byte) {
			ne.PutUint64(b[int(grantsRoot)*ps:], grantsRoot+1)
		}, "says it is page"},
		"more pages than the file": {func(b []byte) {
			ne.PutUint64(b[metaOff+40:], uint64(len(b)/ps+10))
			h := fnv.New64a()
			h.Write(b[metaOff : metaOff+56])
			ne.PutUint64(b[metaOff+56:], h.Sum64())
		}, "the file holds"},
		"too many elements": {func(b []byte) {
			ne.PutUint16(b[int(grantsRoot)*ps+10:], 0xFFF0)
		}, "more elements than fit"},
	} {
		b := bytes.Clone(whole)
		tc.edit(b)
		err := checkPages(b)
		if !errors.Is(err, errPages) || !bytes.Contains([]byte(err.Error()), []byte(tc.says)) {
			t.Errorf("%s: %v; want %q", name, err, tc.says)
			continue
		}
		os.WriteFile(path, b, 0o600)
		refusedUnchanged(t, path, ringA(t), ErrCorrupt, tc.says)
	}
}
