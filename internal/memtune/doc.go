// Package memtune keeps a long-running server's memory close to what it
// holds. Go's default collector lets the heap grow to twice the live data
// before collecting; for a process whose live heap is mostly a large cache
// that doubles its footprint. memtune leaves small heaps to the default
// (no extra collections on the hot path) and, once the live heap passes a
// floor, sets a soft memory limit that trails it with a fixed headroom.
// Because the limit is always above the live heap by that headroom, the
// collector never spins on a limit it cannot meet.
package memtune
