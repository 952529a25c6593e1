package emulator

import (
	"testing"
	"time"
)

type entry struct{ exp time.Time }

func (e entry) lapsed(now time.Time) bool { return !now.Before(e.exp) }

// TestExpiringSweepsAndBounds: lapsed entries go as the map grows, and a
// full map refuses new entries but still updates old ones.
func TestExpiringSweepsAndBounds(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0)
	e := expiring[entry]{limit: 3000}
	for i := range minSweep {
		if !e.put(string(rune(0x10000+i)), entry{t0.Add(time.Minute)}, t0) {
			t.Fatal("refused below the limit")
		}
	}
	later := t0.Add(time.Hour)
	e.put("fresh", entry{later.Add(time.Minute)}, later)
	if e.len() != 1 {
		t.Fatalf("lapsed entries not swept: %d left", e.len())
	}
	for i := range 2999 {
		e.put(string(rune(0x20000+i)), entry{later.Add(time.Minute)}, later)
	}
	if e.len() != 3000 || e.put("one more", entry{later.Add(time.Minute)}, later) {
		t.Fatalf("limit not held: %d", e.len())
	}
	if !e.put("fresh", entry{later.Add(2 * time.Minute)}, later) {
		t.Fatal("a full map refused updating an existing entry")
	}
}
