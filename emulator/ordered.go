package emulator

// ordered is a map bounded to limit entries that remembers insertion order,
// for the emulator's resources (bots, files, workflow runs, datasets, ...).
// Callers hold resources.mu.
type ordered[V any] struct {
	m     map[string]V
	keys  []string // insertion order; may hold deleted keys until compacted
	limit int
}

func newOrdered[V any](limit int) ordered[V] {
	return ordered[V]{m: make(map[string]V), limit: limit}
}

func (o *ordered[V]) get(k string) (V, bool) {
	v, ok := o.m[k]
	return v, ok
}

// add stores v under k (keeping k's place if present). When the map is full
// it evicts the oldest entry if evict is set, else stores nothing and
// reports false.
func (o *ordered[V]) add(k string, v V, evict bool) bool {
	if _, ok := o.m[k]; ok {
		o.m[k] = v
		return true
	}
	if len(o.m) >= o.limit {
		if !evict {
			return false
		}
		for len(o.keys) > 0 && len(o.m) >= o.limit {
			old := o.keys[0]
			o.keys = o.keys[1:]
			delete(o.m, old)
		}
	}
	o.m[k] = v
	o.keys = append(o.keys, k)
	return true
}

// del removes k; its stale place in the order is dropped when stale places
// outnumber live entries.
func (o *ordered[V]) del(k string) {
	if _, ok := o.m[k]; !ok {
		return
	}
	delete(o.m, k)
	if len(o.keys) > 2*len(o.m)+16 {
		live := make([]string, 0, len(o.m))
		for _, key := range o.keys {
			if _, ok := o.m[key]; ok {
				live = append(live, key)
			}
		}
		o.keys = live
	}
}

func (o *ordered[V]) len() int { return len(o.m) }

// values returns the entries for which keep reports true, oldest first.
func (o *ordered[V]) values(keep func(V) bool) []V {
	var out []V
	seen := make(map[string]bool, len(o.m))
	for _, k := range o.keys {
		v, ok := o.m[k]
		if !ok || seen[k] {
			continue
		}
		seen[k] = true
		if keep == nil || keep(v) {
			out = append(out, v)
		}
	}
	return out
}
