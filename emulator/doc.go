// Package emulator is a faithful, in-process fake of Coze's (扣子) OAuth token
// endpoint and a sliver of its OpenAPI, for tests and offline demos.
//
// Authenticated API endpoints (Authorization: Bearer <access token or PAT>):
// GET /v1/users/me, POST /v3/chat (JSON or, with "stream":true, Coze's
// text/event-stream events echoing the user's last message back), POST
// /v1/files/upload (multipart, streamed and hashed, never held in memory) and
// GET /v1/chat upgraded to a WebSocket that echoes every message (Coze serves
// realtime endpoints from a separate host, wss://ws.coze.cn; here it is the
// same server).
//
// It speaks the wire protocol described in the project's notes: JWT-bearer
// assertions are verified by hand (RS256 with registered public keys, iss,
// aud, iat, exp and jti replay checks), access tokens are opaque "czs_"
// strings with an absolute expires_in, errors use Coze's JSON shapes, and every
// response carries an X-Tt-Logid header. Faults (latency, error statuses,
// dropped connections) can be queued to exercise client retry logic.
//
// The emulator never logs anything, so it cannot leak keys or tokens.
package emulator
