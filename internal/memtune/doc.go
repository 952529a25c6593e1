// Package memtune paces a long-running server's garbage collector by
// memory rather than by Go's default ratio.
//
// Go's default collector (GOGC=100) collects when the heap reaches twice
// the live data. That is wrong at both ends for cozeauth: with a small live
// heap (a few MiB, the usual case) it collects every few MiB allocated,
// and each request allocates about a kilobyte in net/http alone, so the
// hot path pays for frequent collections; with a large live heap (a big
// token cache) it lets the process grow to twice what it holds.
//
// memtune turns the ratio off and paces the collector by a soft memory
// limit it sets after every collection: the largest of Floor, the live
// heap × Ratio + Slack, and the live heap + the runtime's memory outside
// the heap + Slack. Small heaps then grow to Floor before a collection (a
// fixed, small amount of memory for a fraction of the collections); large
// heaps stay within a quarter again of what they hold. Because the limit is
// always above the live heap and the rest of the runtime's memory by
// Slack, the collector never spins on a limit it cannot meet, and since
// it is recomputed after every collection, it follows the live heap as it
// grows or shrinks.
package memtune
