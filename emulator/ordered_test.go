package emulator

import (
	"strconv"
	"testing"
)

func TestOrderedBounds(t *testing.T) {
	o := newOrdered[int](3)
	for i := range 5 {
		if !o.add(strconv.Itoa(i), i, true) {
			t.Fatalf("add %d with eviction refused", i)
		}
	}
	if got := o.values(nil); len(got) != 3 || got[0] != 2 || got[2] != 4 {
		t.Errorf("after eviction: %v", got)
	}
	if o.add("5", 5, false) {
		t.Error("add without eviction to a full map succeeded")
	}
	if !o.add("3", 30, false) {
		t.Error("replacing an entry of a full map was refused")
	}
	if got := o.values(nil); got[1] != 30 {
		t.Errorf("replacement moved or was lost: %v", got)
	}
	o.del("3")
	o.del("3")
	if got := o.values(nil); len(got) != 2 || got[0] != 2 || got[1] != 4 {
		t.Errorf("after delete: %v", got)
	}
	if got := o.values(func(v int) bool { return v > 2 }); len(got) != 1 || got[0] != 4 {
		t.Errorf("filtered: %v", got)
	}
}

// Adding and deleting forever keeps the order slice bounded.
func TestOrderedChurnBounded(t *testing.T) {
	o := newOrdered[int](8)
	for i := range 100000 {
		k := strconv.Itoa(i)
		o.add(k, i, false)
		if i%2 == 0 {
			o.del(k)
		} else if o.len() == 8 {
			o.del(strconv.Itoa(i - 14))
		}
		if len(o.keys) > 2*8+17 {
			t.Fatalf("after %d operations the order holds %d keys for %d entries", i, len(o.keys), o.len())
		}
	}
	o2 := newOrdered[int](8)
	for i := range 100000 {
		o2.add(strconv.Itoa(i), i, true)
		if len(o2.keys) > 8 || o2.len() > 8 {
			t.Fatalf("eviction: %d keys, %d entries", len(o2.keys), o2.len())
		}
	}
}

func TestPage(t *testing.T) {
	all := []int{1, 2, 3, 4, 5}
	for _, c := range []struct {
		num, size int
		want      []int
		more      bool
	}{
		{1, 2, []int{1, 2}, true},
		{3, 2, []int{5}, false},
		{4, 2, []int{}, false},
		{1, 5, []int{1, 2, 3, 4, 5}, false},
		{1 << 62, 1 << 40, []int{}, false},
		{2, 1 << 62, []int{}, false},
	} {
		got, more := page(all, c.num, c.size)
		if len(got) != len(c.want) || more != c.more {
			t.Errorf("page(%d, %d) = %v, %v; want %v, %v", c.num, c.size, got, more, c.want, c.more)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("page(%d, %d) = %v, want %v", c.num, c.size, got, c.want)
			}
		}
	}
}
