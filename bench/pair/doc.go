// Command pair measures the latency one hop adds: it sends the same
// request to two loopback URLs, A (e.g. the upstream, directly) and B
// (e.g. the same call through cozeauth's gateway), interleaved request by
// request on one fixed schedule, so that the machine's noise falls on both
// alike. Standard library only.
//
//	pair -a http://127.0.0.1:9000/v1/users/me -a-header 'Authorization: Bearer czs_...' \
//	     -b http://127.0.0.1:8080/v1/users/me -b-header 'X-User-ID: bench' \
//	     -rate 1000 -c 4 -d 10s -warmup 1s
//
// -rate requests per second in all go out on a fixed schedule (open loop;
// a worker that falls behind sends at once), request k to A when k is
// even, to B when it is odd; each is timed from its send to the end of its
// body. It prints one JSON line: per side requests, errors, p50, p90, p99,
// max and mean in ms (a_..., b_...), and added_p50_ms, added_p99_ms,
// added_mean_ms: B's figure minus A's.
package main
