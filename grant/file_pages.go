package grant

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
)

// bbolt trusts the pages of its file: a damaged branch page can send it
// past the end of its memory map (a fault no recover catches when it
// happens on bbolt's own goroutines) or round a cycle forever. So before
// bbolt reads an existing file, checkPages walks the file's bytes the way
// bbolt will, by the layout of go.etcd.io/bbolt/internal/common (page
// header, meta, branch and leaf elements, inline buckets, freelist), and
// refuses any page id, offset or length that points outside the file or
// its page, any page of the wrong kind, and any page reached twice.

const (
	pageHeaderSize   = 16
	elementSize      = 16 // branch and leaf elements alike
	bucketHeaderSize = 16 // root page id, sequence
	metaSize         = 64

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	flagBucket   = 0x01 // a leaf element that is a sub-bucket

	boltVersion = 2
	maxDepth    = 64
)

var errPages = errors.New("bad page")

// pageChecker walks one file's bytes.
type pageChecker struct {
	b        []byte
	pageSize uint64
	hwm      uint64 // pages in use: ids below it
	seen     map[uint64]bool
}

// checkPages checks the structure bbolt will read from b, a whole file.
func checkPages(b []byte) error {
	m, err := pickMeta(b)
	if err != nil {
		return err
	}
	ne := binary.NativeEndian
	c := &pageChecker{b: b, pageSize: uint64(ne.Uint32(m[8:])), hwm: ne.Uint64(m[40:]), seen: map[uint64]bool{}}
	if c.hwm < 2 || c.hwm > uint64(len(b))/c.pageSize {
		return fmt.Errorf("%w: the header counts %d pages, the file holds %d", errPages, c.hwm, uint64(len(b))/c.pageSize)
	}
	c.seen[0], c.seen[1] = true, true
	if fl := ne.Uint64(m[32:]); fl != ^uint64(0) { // PgidNoFreelist
		if err := c.freelist(fl); err != nil {
			return err
		}
	}
	return c.bucket(ne.Uint64(m[16:]), nil, 0)
}

// pickMeta returns the meta bbolt will use: the valid one with the higher
// transaction id.
func pickMeta(b []byte) ([]byte, error) {
	ne := binary.NativeEndian
	meta := func(off uint64) []byte {
		if off+pageHeaderSize+metaSize > uint64(len(b)) {
			return nil
		}
		m := b[off+pageHeaderSize : off+pageHeaderSize+metaSize]
		if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
			return nil
		}
		h := fnv.New64a()
		h.Write(m[:56])
		if h.Sum64() != ne.Uint64(m[56:]) {
			return nil
		}
		ps := ne.Uint32(m[8:])
		if ps < 512 || ps > 1<<16 || ps&(ps-1) != 0 {
			return nil
		}
		return m
	}
	m0 := meta(0)
	var m1 []byte
	if m0 != nil {
		m1 = meta(uint64(ne.Uint32(m0[8:])))
	} else {
		for ps := uint64(512); ps <= 1<<16 && m1 == nil; ps <<= 1 {
			m1 = meta(ps)
		}
	}
	switch {
	case m0 == nil && m1 == nil:
		return nil, fmt.Errorf("%w: both meta pages are damaged", errPages)
	case m0 == nil:
		return m1, nil
	case m1 == nil:
		return m0, nil
	case ne.Uint64(m1[48:]) > ne.Uint64(m0[48:]):
		return m1, nil
	}
	return m0, nil
}

// page returns the bytes of page id (with its overflow pages) after
// checking that it lies inside the file, has one of the flags and was not
// reached before.
func (c *pageChecker) page(id uint64, flags uint16) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, fmt.Errorf("%w: page id %d outside 2..%d", errPages, id, c.hwm-1)
	}
	if c.seen[id] {
		return nil, fmt.Errorf("%w: page %d is reached twice", errPages, id)
	}
	off := id * c.pageSize
	hdr := c.b[off : off+pageHeaderSize]
	ne := binary.NativeEndian
	if ne.Uint64(hdr[0:]) != id {
		return nil, fmt.Errorf("%w: page %d says it is page %d", errPages, id, ne.Uint64(hdr[0:]))
	}
	if ne.Uint16(hdr[8:])&flags == 0 || ne.Uint16(hdr[8:])&^flags != 0 {
		return nil, fmt.Errorf("%w: page %d has flags %#x", errPages, id, ne.Uint16(hdr[8:]))
	}
	overflow := uint64(ne.Uint32(hdr[12:]))
	if id+overflow >= c.hwm {
		return nil, fmt.Errorf("%w: page %d overflows past the last page", errPages, id)
	}
	for i := id; i <= id+overflow; i++ {
		if c.seen[i] {
			return nil, fmt.Errorf("%w: page %d is reached twice", errPages, i)
		}
		c.seen[i] = true
	}
	return c.b[off : off+(overflow+1)*c.pageSize], nil
}

func (c *pageChecker) freelist(id uint64) error {
	p, err := c.page(id, flagFreelist)
	if err != nil {
		return err
	}
	ne := binary.NativeEndian
	start, count := uint64(pageHeaderSize), uint64(ne.Uint16(p[10:]))
	if count == 0xFFFF {
		if len(p) < pageHeaderSize+8 {
			return fmt.Errorf("%w: freelist page %d is too short", errPages, id)
		}
		count = ne.Uint64(p[pageHeaderSize:])
		start += 8
	}
	if count > (uint64(len(p))-start)/8 {
		return fmt.Errorf("%w: freelist page %d lists more ids than it holds", errPages, id)
	}
	for i := range count {
		if f := ne.Uint64(p[start+8*i:]); f < 2 || f >= c.hwm {
			return fmt.Errorf("%w: freelist page %d frees page %d, outside the file", errPages, id, f)
		}
	}
	return nil
}

// bucket checks a bucket's tree: the page root, or the inline page when
// root is 0.
func (c *pageChecker) bucket(root uint64, inline []byte, depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: buckets nest deeper than %d", errPages, maxDepth)
	}
	if root == 0 {
		if len(inline) < pageHeaderSize || binary.NativeEndian.Uint16(inline[8:]) != flagLeaf {
			return fmt.Errorf("%w: an inline bucket is malformed", errPages)
		}
		return c.elements(inline, flagLeaf, depth)
	}
	return c.tree(root, depth, 0)
}

// tree checks the branch or leaf page id and what it points to.
func (c *pageChecker) tree(id uint64, depth, level int) error {
	if level > maxDepth {
		return fmt.Errorf("%w: a tree is deeper than %d", errPages, maxDepth)
	}
	p, err := c.page(id, flagBranch|flagLeaf)
	if err != nil {
		return err
	}
	flags := binary.NativeEndian.Uint16(p[8:])
	if err := c.elements(p, flags, depth); err != nil {
		return err
	}
	if flags != flagBranch {
		return nil
	}
	for i := range uint64(binary.NativeEndian.Uint16(p[10:])) {
		child := binary.NativeEndian.Uint64(p[pageHeaderSize+i*elementSize+8:])
		if err := c.tree(child, depth, level+1); err != nil {
			return err
		}
	}
	return nil
}

// elements checks that every element of a branch or leaf page, and its
// key and value, lie inside the page, and recurses into sub-buckets.
func (c *pageChecker) elements(p []byte, flags uint16, depth int) error {
	ne := binary.NativeEndian
	count := uint64(ne.Uint16(p[10:]))
	if flags == flagBranch && count == 0 {
		return fmt.Errorf("%w: an empty branch page", errPages)
	}
	if pageHeaderSize+count*elementSize > uint64(len(p)) {
		return fmt.Errorf("%w: a page holds more elements than fit", errPages)
	}
	for i := range count {
		at := pageHeaderSize + i*elementSize
		e := p[at : at+elementSize]
		var pos, ksize, vsize uint64
		if flags == flagBranch {
			pos, ksize = uint64(ne.Uint32(e[0:])), uint64(ne.Uint32(e[4:]))
		} else {
			pos, ksize, vsize = uint64(ne.Uint32(e[4:])), uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		}
		end := at + pos + ksize + vsize
		if end > uint64(len(p)) || (ksize == 0 && flags == flagLeaf) {
			return fmt.Errorf("%w: an element points outside its page", errPages)
		}
		if flags == flagLeaf && ne.Uint32(e[0:])&flagBucket != 0 {
			v := p[at+pos+ksize : end]
			if len(v) < bucketHeaderSize {
				return fmt.Errorf("%w: a bucket value is too short", errPages)
			}
			if err := c.bucket(ne.Uint64(v[0:]), v[bucketHeaderSize:], depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
