// Command load is a small, bounded HTTP load generator for cozeauth's
// benchmarks (standard library only). It only ever talks to loopback.
//
// Closed-loop mode: -c workers share one keep-alive http.Transport and
// send requests back to back for -d (after an optional -warmup) or until
// -n requests are done:
//
//	load -url http://127.0.0.1:8080/token -c 64 -d 10s -sessions hot
//	load -url http://127.0.0.1:8080/token -c 64 -n 100000 -sessions distinct -prefix run1-
//
// Paced mode: add -rate R and the same workers send R requests per second
// in all, on a fixed schedule (a worker that falls behind sends at once),
// so latency is measured below saturation:
//
//	load -url http://127.0.0.1:8080/v1/users/me -method GET -c 8 -rate 2000 -d 10s
//
// Burst mode: -burst N goroutines, each with its own connection, are
// released together by a barrier and send one request each for -session:
//
//	load -url http://127.0.0.1:8080/token -burst 1000 -session cold-1 \
//	     -preconnect http://127.0.0.1:8080/healthz
//
// -header K:V (repeatable) adds a header to every request, e.g.
// -header "X-API-Key: cza_..." or -header "Authorization: Bearer czs_...".
//
// It prints one line of JSON: requests, errors (non-200 answers and
// transport errors), rps, p50_ms, p99_ms and a few more fields, the count
// of each status, and the count of each error code found in non-200 JSON
// answers ({"error":{"code":"..."}}). -by-status adds latency figures per
// status. Latencies go into a log-linear histogram (under 1% error), so
// memory stays constant however many requests are sent.
package main
