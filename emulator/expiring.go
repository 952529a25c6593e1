package emulator

import "time"

// lapser is an entry of an expiring map.
type lapser interface {
	lapsed(now time.Time) bool
}

// Bounds of the emulator's expiring maps: sweep lapsed entries whenever a
// map doubles past minSweep entries, and refuse new entries past the limit.
const (
	minSweep        = 1024
	maxPending      = 1 << 18 // consents, codes, device codes
	maxRefreshCount = 1 << 20 // refresh tokens, spent ones included
)

// expiring is a bounded map whose lapsed entries are swept as it grows.
// Callers hold Server.mu.
type expiring[V lapser] struct {
	m     map[string]V
	next  int
	limit int
}

func (e *expiring[V]) get(k string) (V, bool) {
	v, ok := e.m[k]
	return v, ok
}

// put stores v under k, first sweeping lapsed entries if the map has grown.
// It reports false, storing nothing, when the map is full.
func (e *expiring[V]) put(k string, v V, now time.Time) bool {
	if e.m == nil {
		e.m = make(map[string]V)
		e.next = minSweep
	}
	if len(e.m) >= e.next {
		for key, old := range e.m {
			if old.lapsed(now) {
				delete(e.m, key)
			}
		}
		e.next = max(minSweep, 2*len(e.m))
	}
	if _, ok := e.m[k]; !ok && len(e.m) >= e.limit {
		return false
	}
	e.m[k] = v
	return true
}

func (e *expiring[V]) del(k string) { delete(e.m, k) }

func (e *expiring[V]) len() int { return len(e.m) }
