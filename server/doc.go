// Package server is cozeauth's HTTP face. It admits callers (client key
// or visitor cookie, origin, per-key and per-IP rates), asks policy once
// for the whole decision, and then either answers a token (the
// Worker-compatible token API) or forwards the caller's Coze API call
// with the token injected (the gateway); plus CORS, health, readiness
// and config reloads. Tokens come from a broker.Broker; it holds no
// secrets itself.
//
// The gateway is bounded: requests in flight overall, per client and per
// address, connections to each Coze host, and an idle timeout on every
// direction bytes move in, so a caller or upstream that stalls is cut
// rather than held. It forwards only allowed paths and methods, strips
// the caller's credentials and forwarding headers, checks bot and
// workflow ids against the scope before forwarding, and replays a call
// once with a fresh token when Coze answers 401 and its body was kept.
//
// Every decision leaves an audit line ("token" or "denied", with the rule
// that refused it; one line per gateway call with the token's source and
// Coze's error code) naming the client, policy, address and session
// (hashed when configured), never a token or a key.
package server
