// Package ratelimit is cozeauth's one rate type and one limiter. A Rate
// is a token bucket ("10/s", "600/m burst 20"); Parse reads the form the
// config file uses. A Limiter is a set of such buckets keyed by string,
// bounded in memory, used two ways: Allow answers at once (the server's
// per-client-key and per-IP limits), and Wait takes the next slot and
// waits for it up to a deadline (the broker's per-app cap on mints sent
// to Coze). A bucket's clock never steps back, so readings that reach it
// out of order never refill the same interval twice.
package ratelimit
