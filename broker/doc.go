// Package broker is the one place Coze tokens are reused: an in-memory
// cache bounded in bytes (each entry charged what it holds on the heap)
// and in entries, with a share per owner so that one client flooding it
// with new sessions cannot evict everyone else's tokens, and a sweeper
// that drops entries that can serve nothing; one upstream mint per key
// however many callers ask, refresh ahead of expiry, negative caching of
// failures, a per-app cap on mints sent to Coze (a ratelimit.Limiter),
// and an optional shared store so several replicas mint once between
// them.
package broker
