package broker

import (
	"strconv"
	"testing"
	"time"

	"github.com/cozeauth/cozeauth/coze"
)

// A hit looks its key up in bytes (getBytes) where the entry was added
// under the string key: both must find the same shard and entry, with one
// shard or many.
func TestCacheKeyBytesFindTheEntry(t *testing.T) {
	for _, entries := range []int64{10, 1 << 20} {
		c := newCache(limits{bytes: 1 << 40, entries: entries, shareBytes: 1 << 40, shareEntries: entries})
		c.sw = sweeper{every: time.Hour, stop: make(chan struct{})}
		defer close(c.sw.stop)
		if entries > 10 && len(c.shards) == 1 {
			t.Fatal("a large cache has one shard: the test would not cover sharding")
		}
		now := time.Now().UnixNano()
		for i := range 10 {
			r := Request{App: "a", Session: "s" + strconv.Itoa(i), Owner: "o", Scope: &coze.Scope{}}
			added := c.getOrAdd(r.Key(), r, now)
			var kb [8]byte // too small: appendKey must grow it
			if got := c.getBytes(r.appendKey(kb[:0])); got != added {
				t.Fatalf("%d shards, session %d: getBytes found %p, want %p", len(c.shards), i, got, added)
			}
		}
		if c.getBytes([]byte("a\x00900\x00nobody\x00o")) != nil {
			t.Fatal("getBytes found an entry never added")
		}
	}
}
