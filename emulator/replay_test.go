package emulator

import (
	"strconv"
	"testing"
)

// TestReplayCacheBounded checks expired jtis are pruned and a full cache
// evicts the soonest-expiring entry.
func TestReplayCacheBounded(t *testing.T) {
	var c replayCache
	for i := range 3 * minPrune {
		if !c.use("app\x00"+strconv.Itoa(i), float64(i), float64(i)-1) {
			t.Fatalf("fresh jti %d refused", i)
		}
	}
	if len(c.seen) > 2*minPrune {
		t.Errorf("cache holds %d entries; expired ones were not pruned", len(c.seen))
	}
	last := "app\x00" + strconv.Itoa(3*minPrune-1)
	if c.use(last, 1e12, 3*minPrune-2) {
		t.Error("live jti accepted twice")
	}
	if !c.use(last, 1e12, 3*minPrune) {
		t.Error("jti refused after its exp passed")
	}

	c = replayCache{seen: map[string]float64{"a": 30, "b": 10, "c": 20}}
	c.evictSoonest()
	if _, ok := c.seen["b"]; ok || len(c.seen) != 2 {
		t.Errorf("evictSoonest left %v", c.seen)
	}
}
