// Package replica shares one state between several cozeauth processes
// (replicas behind a load balancer, pods of a Deployment) through Redis or
// Valkey — standalone, Sentinel or Cluster, through go-redis's
// UniversalClient:
//
//   - Tokens, a broker.Shared: each replica keeps its in-memory cache in
//     front (a hit never waits on Redis); a miss or a refresh goes through
//     one lock per cache key with a lease, so a session is minted once
//     across all replicas, and the others take the published token
//     (pub/sub wakes them; a short poll covers a lost message or a holder
//     that died, whose lease then expires);
//   - Grants, a grant.Store: grants sealed exactly as the file store seals
//     them, versions from one counter, compare-and-swap in one script;
//   - Limits, a ratelimit.Backend: GCRA buckets (github.com/go-redis/
//     redis_rate) for per-key and per-IP limits and each app's mint_rate;
//   - Logins, a server.SharedLogins: connect links and OAuth states of
//     browser logins, sealed, each claimed once (SET NX), so a login may
//     start on one replica and finish on another;
//   - revocations and reloads, published to every replica within a
//     second (server.Replicas).
//
// Every Redis answer is awaited at most Options.Timeout; a caller whose
// answer is late carries on without Redis. When Redis fails or is slow
// twice in a row, the Store turns degraded (one log line): tokens, limits and
// single flight fall back to this process alone, calls to Redis are not
// attempted (no request waits on a dead Redis) until a background probe
// finds it again, and the Store returns to shared mode by itself (one log
// line) and catches up on revocations it missed.
//
// Values in Redis are sealed (AES-256-GCM) with the grant store's
// keyring: access tokens and grants are never held in clear; keys name
// a hash of the cache key, not the session or client.
package replica
