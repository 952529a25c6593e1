// Command upstream is a stand-in for the Coze API in cozeauth's gateway
// benchmarks: a dedicated cozeauth instance uses it as its COZE_API_BASE.
// It serves
//
//   - POST /v3/chat: a streamed chat (SSE, Coze's event names) of
//     ?events=N message deltas sent ?interval=D apart; every event's data
//     carries "sent_ns", the Unix time in nanoseconds at which it was
//     written and flushed, so a client on this machine can measure how long
//     each event took to reach it;
//   - POST /v1/files/upload: a multipart upload read as a stream and
//     thrown away, answering the byte count of its "file" part;
//   - GET /v1/users/me: a small fixed JSON answer, the cheap authenticated
//     call that latency is measured with;
//   - /api/permission/...: forwarded to -token-upstream (the Coze
//     emulator), so cozeauth mints its tokens there;
//   - GET /_bench/stats: counters as JSON.
//
// API calls must carry "Authorization: Bearer czs_..." (the token the
// gateway injects) or get Coze's 401. It listens on loopback only.
//
//	upstream -listen 127.0.0.1:0 -token-upstream http://127.0.0.1:8090
package main
