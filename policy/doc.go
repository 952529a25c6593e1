// Package policy decides who may get which token: client keys, policies
// (apps, scope, duration, session naming, origins, gateway paths) and
// their rate limits (ratelimit.Rate values; the server keeps the
// buckets). It makes pure decisions over plain values; it knows nothing
// of HTTP.
package policy
