#!/usr/bin/env bash
# bench/gateway.sh: cozeauth's gateway benchmark, each figure measured
# through the gateway and, in the same run, directly against the upstream.
#
#   bash bench/gateway.sh
#
# Builds cozeauth, bench/upstream, bench/pair and bench/stream into a temp
# dir and starts, each in its own process on a free loopback port:
# `cozeauth emulator` (mints tokens), bench/upstream (a stand-in Coze API
# that forwards token requests to the emulator) and `cozeauth serve` with
# COZE_API_BASE pointing at the upstream. A token for the direct calls
# comes from cozeauth's POST /token, for the session the gateway calls use
# (X-User-ID: bench). Then:
#   (a) a BENCH_UPLOAD_SIZE multipart upload through the gateway (and one
#       direct, for the throughput), sampling cozeauth's VmRSS every 100 ms;
#       peak - before is checked; first, while cozeauth's heap is small,
#       so that room the other phases grew cannot hide a rise;
#   (b) added latency: GET /v1/users/me, paced at BENCH_RATE req/s on
#       BENCH_LAT_CONNS connections (latency, not saturation), half directly
#       and half through the gateway, interleaved request by request
#       (bench/pair), BENCH_ROUNDS rounds of BENCH_LAT_DURATION; per round,
#       added = gateway - direct for p50 and p99; the median is checked;
#   (c) SSE event delay: BENCH_SSE_STREAMS streamed chats of
#       BENCH_SSE_EVENTS events BENCH_SSE_INTERVAL apart through the
#       gateway and, at the same time from a second client, as many
#       directly, BENCH_ROUNDS times; each event's delay is its receive
#       time minus the sent_ns the upstream wrote when it flushed it; the
#       median of the gateway rounds' p99 is checked;
#   (d) BENCH_STREAMS streamed chats held open at once through the gateway
#       (BENCH_STREAM_EVENTS events BENCH_STREAM_INTERVAL apart, started
#       over BENCH_STREAM_RAMP), then the same directly: no errors, all open
#       at once (client side and upstream side);
#   (e) a summary table and PASS/FAIL per target.
#
# Environment (defaults): BENCH_ROUNDS (3), BENCH_RATE (1000),
# BENCH_LAT_CONNS (4), BENCH_LAT_DURATION (8s), BENCH_SSE_STREAMS (50),
# BENCH_SSE_EVENTS (100), BENCH_SSE_INTERVAL (20ms), BENCH_UPLOAD_SIZE
# (1GiB), BENCH_STREAMS (1000), BENCH_STREAM_EVENTS (20),
# BENCH_STREAM_INTERVAL (500ms), BENCH_STREAM_RAMP (2s), BENCH_KEEP (set:
# keep the temp dir with logs and raw results).
#
# Helpers shared with bench/run.sh are in bench/lib.sh.
#
# Exit status: 0 when every target passes, 1 when one fails, 2 on error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
RATE=${BENCH_RATE:-1000}
LAT_CONNS=${BENCH_LAT_CONNS:-4}
LAT_DURATION=${BENCH_LAT_DURATION:-8s}
SSE_STREAMS=${BENCH_SSE_STREAMS:-50}
SSE_EVENTS=${BENCH_SSE_EVENTS:-100}
SSE_INTERVAL=${BENCH_SSE_INTERVAL:-20ms}
UPLOAD_SIZE=${BENCH_UPLOAD_SIZE:-1GiB}
STREAMS=${BENCH_STREAMS:-1000}
STREAM_EVENTS=${BENCH_STREAM_EVENTS:-20}
STREAM_INTERVAL=${BENCH_STREAM_INTERVAL:-500ms}
STREAM_RAMP=${BENCH_STREAM_RAMP:-2s}
SESSION=bench

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cozeauth-gwbench.XXXXXX")
pids=()
bg_pid= # a client running in the background, while it runs

trap cleanup EXIT
trap 'exit 130' INT TERM

# lt A B: A < B, as decimals.
lt() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

# sub A B: A - B, to the microsecond.
sub() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'
}

# maxof X...: the largest of numbers.
maxof() {
	printf '%s\n' "$@" | sort -g | tail -1
}

# sum X...: the sum of integers.
sum() {
	local s=0 x
	for x in "$@"; do s=$((s + x)); done
	echo "$s"
}

# Other work on the machine skews latency. Each phase reports about how
# much CPU went to processes that are not this benchmark's: the machine's
# user, system and steal time (/proc/stat; interrupt time is left out, as
# it is mostly this benchmark's own loopback traffic) minus the servers'
# and this shell's children's (the clients, once waited for). It is an
# estimate: the kernel samples per-process times on clock ticks.
clk_tck=$(getconf CLK_TCK)
busy_ticks() {
	awk '$1 == "cpu" { print $2 + $3 + $4 + $9; exit }' /proc/stat
}
own_ticks() { # utime + stime + cutime + cstime of this shell and the servers
	local p stat t=0
	for p in $$ "${pids[@]}"; do
		stat=$(<"/proc/$p/stat")
		stat=${stat##*) } # fields after "(comm) ": utime is the 12th from here
		t=$((t + $(awk '{ print $12 + $13 + $14 + $15 }' <<<"$stat")))
	done
	echo "$t"
}
phase_start() {
	phase_ns=$(date +%s%N) phase_busy=$(busy_ticks) phase_own=$(own_ticks)
}
other_cpu() { # % of all CPUs used by other processes since phase_start
	awk -v b=$(($(busy_ticks) - phase_busy)) -v o=$(($(own_ticks) - phase_own)) -v ns=$(($(date +%s%N) - phase_ns)) \
		-v hz="$clk_tck" -v n="$(nproc)" 'BEGIN { x = (b - o) / (ns / 1e9 * hz * n) * 100; printf "%.0f", (x < 0 ? 0 : x) }'
}

# File descriptors: (d) holds BENCH_STREAMS client connections, as many
# gateway-side and as many upstream-side sockets in cozeauth, and as many
# in the upstream. Go raises its own soft limit to the hard one; the
# shell's is raised too so that nothing here starts with less.
need_fds=$((2 * STREAMS + 1024))
if [[ $(ulimit -n) != unlimited ]] && (($(ulimit -n) < need_fds)); then
	hard=$(ulimit -Hn)
	if [[ $hard != unlimited ]] && ((hard < need_fds)); then
		die "$STREAMS streams need about $need_fds open files; the hard limit is $hard (raise it, or set BENCH_STREAMS lower)"
	fi
	ulimit -n "$need_fds" || die "cannot raise ulimit -n to $need_fds"
fi

build cmd/cozeauth bench/upstream bench/pair bench/stream
echo "== machine: $(machine); ulimit -n $(ulimit -n)"
echo "   rounds=$ROUNDS latency: rate=$RATE/s c=$LAT_CONNS d=$LAT_DURATION; sse: $SSE_STREAMS x $SSE_EVENTS events every $SSE_INTERVAL;"
echo "   upload=$UPLOAD_SIZE; held: $STREAMS x $STREAM_EVENTS events every $STREAM_INTERVAL, ramp $STREAM_RAMP"

# Every server listens on port 0 (a free port, no race) and logs its address.
start_emulator
"$tmp/upstream" -listen 127.0.0.1:0 -token-upstream "$emu_base" 2>"$tmp/upstream.log" &
up_pid=$!
pids+=("$up_pid")
up_base=$(wait_for "$tmp/upstream.log" 'serving on http://127\.0\.0\.1:[0-9]+' | sed 's/.*on //')
wait_ok "$up_base/healthz"
COZEAUTH_CONFIG= CLIENT_ID=1170000000000 KID=bench-kid \
	PRIVATE_KEY_FILE="$tmp/keys/private_key.pem" COZE_API_BASE="$up_base" AUDIENCE=api.coze.cn \
	"$tmp/cozeauth" serve --listen 127.0.0.1:0 --audit-log off >"$tmp/cozeauth.out" 2>"$tmp/cozeauth.log" &
coze_pid=$!
pids+=("$coze_pid")
coze_base=$(wait_for "$tmp/cozeauth.log" 'msg=serving addr=http://127\.0\.0\.1:[0-9]+' | sed 's/.*addr=//')
wait_ok "$coze_base/healthz"
echo "   cozeauth pid $coze_pid at $coze_base; upstream pid $up_pid at $up_base; emulator $emu_base"

token=$(curl -fsS -X POST -H "X-User-ID: $SESSION" "$coze_base/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p') ||
	die "no token from $coze_base/token"
[[ $token == czs_* ]] || die "odd token from $coze_base/token: $token"
direct_auth="Authorization: Bearer $token"
via_session="X-User-ID: $SESSION"
up_stats() { curl -fsS "$up_base/_bench/stats"; }

rss_start=$(rss_kb "$coze_pid")

# (a) a large upload: cozeauth's RSS sampled by the client every 100 ms,
# and the kernel's high-water mark (VmHWM) read around it.
phase_start
echo "== (a) $UPLOAD_SIZE upload through the gateway (cozeauth VmRSS sampled every 100 ms), then directly"
hwm_before=$(hwm_kb "$coze_pid")
up_gw=$(run_tool "gateway upload" stream -upload -url "$coze_base/v1/files/upload" -size "$UPLOAD_SIZE" \
	-header "$via_session" -rss-pid "$coze_pid" -rss-every 100ms)
hwm_after=$(hwm_kb "$coze_pid")
up_direct=$(run_tool "direct upload" stream -upload -url "$up_base/v1/files/upload" -size "$UPLOAD_SIZE" -header "$direct_auth")
# The kernel's VmHWM catches a peak between two samples, when it is new.
rss_peak=$(jnum "$up_gw" rss_peak_kb)
if ((hwm_after > hwm_before && hwm_after > rss_peak)); then rss_peak=$hwm_after; fi
rss_rise=$((rss_peak - $(jnum "$up_gw" rss_before_kb)))
upload_ok=0
if (($(jnum "$up_gw" errors) == 0 && $(jnum "$up_gw" server_bytes) == $(jnum "$up_gw" size))); then upload_ok=1; fi
other_a=$(other_cpu)

# (b) added latency. bench/pair sends request k directly when k is even
# and through the gateway when it is odd, on one fixed schedule, so the
# machine's noise falls on both alike; each round has its own warm-up.
phase_start
echo "== (b) added latency: GET /v1/users/me at $RATE/s (half each way, interleaved), c=$LAT_CONNS, $ROUNDS rounds of $LAT_DURATION"
lat=() add50=() add99=() lat_errors=0
for ((r = 1; r <= ROUNDS; r++)); do
	l=$(run_tool "round $r" pair -a "$up_base/v1/users/me" -a-header "$direct_auth" \
		-b "$coze_base/v1/users/me" -b-header "$via_session" -rate "$RATE" -c "$LAT_CONNS" -d "$LAT_DURATION" -warmup 1s)
	lat+=("$l")
	add50+=("$(jnum "$l" added_p50_ms)") add99+=("$(jnum "$l" added_p99_ms)")
	lat_errors=$((lat_errors + $(jnum "$l" a_errors) + $(jnum "$l" b_errors)))
done
added50=$(median "${add50[@]}")
added99=$(median "${add99[@]}")
other_b=$(other_cpu)

# (c) SSE event delay: in each round the direct and the gateway streams
# run at the same time (two clients), so the machine's noise falls on both.
sse_url="/v3/chat?events=$SSE_EVENTS&interval=$SSE_INTERVAL"
phase_start
echo "== (c) SSE event delay: $SSE_STREAMS streams x $SSE_EVENTS events every $SSE_INTERVAL each way, at the same time, $ROUNDS rounds"
sse_direct=() sse_gw=() sse_gw99=() sse_d99=() sse_gwmax=() sse_dmax=() sse_gwslow=() sse_dslow=()
sse_errors=0 sse_events=0
for ((r = 1; r <= ROUNDS; r++)); do
	"$tmp/stream" -url "$up_base$sse_url" -n "$SSE_STREAMS" -ramp 1s -header "$direct_auth" >"$tmp/sse-direct.$r" &
	bg_pid=$!
	g=$(run_tool "gateway round $r" stream -url "$coze_base$sse_url" -n "$SSE_STREAMS" -ramp 1s -header "$via_session")
	wait "$bg_pid" || die "stream failed for direct round $r"
	bg_pid=
	d=$(<"$tmp/sse-direct.$r")
	echo "$d" >>"$tmp/results.jsonl"
	echo "   direct round $r: $d" >&2
	sse_direct+=("$d") sse_gw+=("$g")
	sse_d99+=("$(jnum "$d" delay_p99_ms)") sse_gw99+=("$(jnum "$g" delay_p99_ms)")
	sse_dmax+=("$(jnum "$d" delay_max_ms)") sse_gwmax+=("$(jnum "$g" delay_max_ms)")
	sse_dslow+=("$(jnum "$d" events_over_slow)") sse_gwslow+=("$(jnum "$g" events_over_slow)")
	sse_errors=$((sse_errors + $(jnum "$d" errors) + $(jnum "$g" errors)))
	sse_events=$((sse_events + $(jnum "$g" events)))
done
sse_gw_p99=$(median "${sse_gw99[@]}")
sse_d_p99=$(median "${sse_d99[@]}")
other_c=$(other_cpu)

# (d) many streams held open at once: through the gateway first (the
# upstream's peak count is then the gateway's), then directly.
held_url="/v3/chat?events=$STREAM_EVENTS&interval=$STREAM_INTERVAL"
echo "== (d) $STREAMS streams held open at once, $STREAM_EVENTS events every $STREAM_INTERVAL, ramp $STREAM_RAMP"
phase_start
rss_before_held=$(rss_kb "$coze_pid")
held_gw=$(run_tool "gateway" stream -url "$coze_base$held_url" -n "$STREAMS" -ramp "$STREAM_RAMP" -header "$via_session" -timeout 5m)
stats_gw=$(up_stats)
rss_after_held=$(rss_kb "$coze_pid")
held_direct=$(run_tool "direct" stream -url "$up_base$held_url" -n "$STREAMS" -ramp "$STREAM_RAMP" -header "$direct_auth" -timeout 5m)
up_peak=$(jnum "$stats_gw" peak_active_chats)
unauthorized=$(jnum "$(up_stats)" unauthorized)
other_d=$(other_cpu)

# (e) summary.
echo
echo "== summary ($(nproc) CPUs, clients and servers share them)"
printf '%-44s %12s %12s %12s\n' "measure" "direct" "gateway" "added"
row() { # LABEL DIRECT GATEWAY ADDED
	printf '%-44s %12s %12s %12s\n' "$1" "$2" "$3" "$4"
}
row "(a) upload MB/s" "$(jnum "$up_direct" mb_per_s)" "$(jnum "$up_gw" mb_per_s)" ""
row "(a) upload seconds" "$(jnum "$up_direct" seconds)" "$(jnum "$up_gw" seconds)" ""
for ((r = 0; r < ROUNDS; r++)); do
	l=${lat[r]}
	row "(b) round $((r + 1)) GET p50 / p99 ms" "$(jnum "$l" a_p50_ms) / $(jnum "$l" a_p99_ms)" \
		"$(jnum "$l" b_p50_ms) / $(jnum "$l" b_p99_ms)" "${add50[r]} / ${add99[r]}"
done
row "(b) median added p50 / p99 ms" "" "" "$added50 / $added99"
for ((r = 0; r < ROUNDS; r++)); do
	d=${sse_direct[r]} g=${sse_gw[r]}
	row "(c) round $((r + 1)) SSE delay p50 / p99 ms" "$(jnum "$d" delay_p50_ms) / $(jnum "$d" delay_p99_ms)" \
		"$(jnum "$g" delay_p50_ms) / $(jnum "$g" delay_p99_ms)" \
		"$(sub "$(jnum "$g" delay_p50_ms)" "$(jnum "$d" delay_p50_ms)") / $(sub "$(jnum "$g" delay_p99_ms)" "$(jnum "$d" delay_p99_ms)")"
done
row "(c) SSE delay max ms (worst round)" "$(maxof "${sse_dmax[@]}")" "$(maxof "${sse_gwmax[@]}")" ""
row "(c) SSE events over 5 ms (all rounds)" "$(sum "${sse_dslow[@]}")" "$(sum "${sse_gwslow[@]}")" "of $sse_events"
row "(d) streams ok / errors" "$(jnum "$held_direct" ok) / $(jnum "$held_direct" errors)" \
	"$(jnum "$held_gw" ok) / $(jnum "$held_gw" errors)" ""
row "(d) streams open at once (client)" "$(jnum "$held_direct" peak_open)" "$(jnum "$held_gw" peak_open)" ""
row "(d) SSE delay p50 / p99 ms" "$(jnum "$held_direct" delay_p50_ms) / $(jnum "$held_direct" delay_p99_ms)" \
	"$(jnum "$held_gw" delay_p50_ms) / $(jnum "$held_gw" delay_p99_ms)" ""
row "(d) SSE delay max ms; events over 5 ms" "$(jnum "$held_direct" delay_max_ms); $(jnum "$held_direct" events_over_slow)" \
	"$(jnum "$held_gw" delay_max_ms); $(jnum "$held_gw" events_over_slow)" "of $(jnum "$held_gw" events)"
row "(d) first event p50 / p99 ms" "$(jnum "$held_direct" first_event_p50_ms) / $(jnum "$held_direct" first_event_p99_ms)" \
	"$(jnum "$held_gw" first_event_p50_ms) / $(jnum "$held_gw" first_event_p99_ms)" ""
echo
echo "cozeauth RSS: $(mb "$rss_start") MB at start; upload: $(mb "$(jnum "$up_gw" rss_before_kb)") MB before," \
	"peak $(mb "$(jnum "$up_gw" rss_peak_kb)") MB ($(jnum "$up_gw" rss_samples) samples), VmHWM $(mb "$hwm_before") -> $(mb "$hwm_after") MB;"
echo "  $(mb "$rss_before_held") MB before (d), $(mb "$rss_after_held") MB after it; upstream's peak of open chats in (d): $up_peak"
echo "CPU used by other processes, % of all $(nproc) CPUs: (a) $other_a, (b) $other_b, (c) $other_c, (d) $other_d"
echo

fail=0
check "$UPLOAD_SIZE upload: RSS rise < 50 MB" "$(ok test "$upload_ok" -eq 1 -a "$rss_rise" -lt $((50 * 1024)))" \
	"$(mb "$rss_rise") MB, $(jnum "$up_gw" server_bytes) bytes received upstream, $(jnum "$up_gw" errors) errors"
check "added latency p50 < 0.5 ms" "$(ok lt "$added50" 0.5)" "median $added50 ms over $ROUNDS rounds: ${add50[*]}"
check "added latency p99 < 2 ms" "$(ok lt "$added99" 2)" "median $added99 ms over $ROUNDS rounds: ${add99[*]}"
check "latency phase: no errors" "$(ok test "$lat_errors" -eq 0)" "$lat_errors errors"
check "SSE event delay p99 < 5 ms" "$(ok lt "$sse_gw_p99" 5)" "gateway median p99 $sse_gw_p99 ms (direct $sse_d_p99); max $(maxof "${sse_gwmax[@]}") ms, $(sum "${sse_gwslow[@]}") of $sse_events events over 5 ms"
check "SSE phase: no errors" "$(ok test "$sse_errors" -eq 0)" "$sse_errors errors"
check "$STREAMS streams held open, no errors" \
	"$(ok test "$(jnum "$held_gw" ok)" -eq "$STREAMS" -a "$(jnum "$held_gw" errors)" -eq 0 -a "$(jnum "$held_gw" peak_open)" -eq "$STREAMS" -a "$up_peak" -ge "$STREAMS")" \
	"$(jnum "$held_gw" ok) ok, $(jnum "$held_gw" errors) errors, $(jnum "$held_gw" peak_open) open at once, upstream peak $up_peak"
check "upstream saw no unauthorized call" "$(ok test "$unauthorized" -eq 0)" "$unauthorized"
if ((fail)) && (($(maxof "$other_a" "$other_b" "$other_c" "$other_d") >= 10)); then
	echo "note: other processes used >= 10% of the CPUs in a phase: latency figures are skewed; run again on a quiet machine"
fi
exit "$fail"
