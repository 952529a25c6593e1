package broker

import (
	"slices"
	"unsafe"
)

// The cache's byte accounting. An entry is charged
//
//	entryOverhead + allocSize(len(key)) + tokenSize
//
// where the key carries the session, owner, scope and session_context
// (the only copy of them the entry keeps), and tokenSize counts the token
// strings and a remembered failure, or tokenReserve while the entry has
// neither. The allocator rounds every object up
// to a size class; allocSize counts that, so the charge is an upper bound
// of the heap an entry holds (TestAccountingCoversHeap checks it).
const (
	// entryOverhead is everything of an entry besides its key and token:
	// the entry and its state snapshot, its slots in a shard map and in
	// the eviction lists (with their spare capacity), and the timer of a
	// hot entry's background refresh. BenchmarkEntryOverhead measures
	// 490 to 505 B (160 the entry, 96 its state, 185 the refresh timer,
	// 55 the map and list slots); the margin covers a map just grown.
	entryOverhead = 576
	// tokenReserve is charged for a token not minted yet, so an insert
	// makes room for the token it is about to get. A Coze access token
	// takes about 180 B (a 192 B allocation).
	tokenReserve = 256
)

// cost is the bytes charged for e in state st.
func (c *cache) cost(e *entry, st *state) int64 {
	n := entryOverhead + allocSize(len(e.key))
	if !st.has() && st.fail == nil {
		return n + tokenReserve
	}
	return n + tokenSize(st)
}

// tokenSize is the heap held by st's strings and failure.
func tokenSize(st *state) int64 {
	n := allocSize(len(st.tok.AccessToken)) + allocSize(len(st.tok.RefreshToken))
	if unsafe.StringData(st.tok.TokenType) != unsafe.StringData(bearer) {
		n += allocSize(len(st.tok.TokenType))
	}
	if st.fail != nil {
		n += st.fail.size
	}
	return n
}

// bearer is the token type every state shares (fresh interns it).
var bearer = "Bearer"

// failureSize is the heap a remembered failure holds: the failure, the
// error value and its message.
func failureSize(err error) int64 {
	return 128 + allocSize(len(err.Error()))
}

// sizeClasses are the Go allocator's small object sizes
// (internal/runtime/gc.SizeClassToSize); larger objects take whole 8 KiB
// pages.
var sizeClasses = []int64{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}

// allocSize is the heap an n-byte string allocation occupies.
func allocSize(n int) int64 {
	if n == 0 {
		return 0
	}
	if i, _ := slices.BinarySearch(sizeClasses, int64(n)); i < len(sizeClasses) {
		return sizeClasses[i]
	}
	const page = 8 << 10
	return (int64(n) + page - 1) / page * page
}
