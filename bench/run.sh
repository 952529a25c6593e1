#!/usr/bin/env bash
# bench/run.sh: cozeauth's load benchmark, against a hello-world baseline
# measured the same way in the same run.
#
#   bash bench/run.sh
#
# Builds cozeauth, bench/hello and bench/load into a temp dir and starts, on
# free loopback ports, `cozeauth emulator` (its own process), hello, and
# three `cozeauth serve` instances against that emulator and the same app:
# "open" (configured by env vars only: no policy, no key), "keyed" (a YAML
# config with one policy and one client key made by `cozeauth keys create`,
# rate limits too high to bind) and "flood" (the same, plus the app's
# mint_rate cap). Then it measures:
#   (a) baseline: hello, one hot session, closed loop;
#   (b) cozeauth open, one hot session, same connections and duration;
#   (e) cozeauth keyed, the same with the client key: the cost of the key
#       check and policy evaluation on a cache hit;
#       (a), (b) and (e) alternate BENCH_ROUNDS times ((b) and (e) swap
#       order every round); the medians of the per-round ratios (b)/(a)
#       and (e)/(b) are checked (the machine is shared and noisy), and
#       each server's CPU time per request is read from /proc;
#   (c) cold single flight: BENCH_BURST concurrent requests for one new
#       session, released together: exactly one upstream mint;
#   (d) BENCH_SESSIONS distinct sessions, then the open process's RSS;
#   (f) mint cap: BENCH_FLOOD distinct sessions from one IP (loopback) on
#       BENCH_FLOOD_CONNS connections against "flood": upstream mints stay
#       within mint_rate x elapsed + burst; answers counted by status; the
#       flood process's RSS before and after;
#   (g) a summary table and PASS/FAIL per target.
#
# Environment (defaults): BENCH_DURATION (10s), BENCH_CONNS (64),
# BENCH_WARMUP (2s), BENCH_ROUNDS (3), BENCH_BURST (1000),
# BENCH_SESSIONS (100000), BENCH_SESSIONS_CONNS (64),
# BENCH_SESSIONS_MAX (240s: time cap of phase d), BENCH_FLOOD (10000),
# BENCH_FLOOD_CONNS (256), BENCH_MINT_PER_S (50) and BENCH_MINT_BURST (50):
# the flood app's mint_rate, BENCH_KEEP (set: keep the temp dir with logs,
# configs and raw results), BENCH_GOMEMLIMIT (unset; e.g. 85MiB: run the
# cozeauth servers, and only them, with that GOMEMLIMIT; an experiment, not
# the default), BENCH_GOGC (unset; the same for GOGC). Either one turns off
# serve's own memory tuning.
#
# Helpers shared with bench/gateway.sh are in bench/lib.sh.
#
# Exit status: 0 when every target passes, 1 when one fails, 2 on error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-64}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-3}
BURST=${BENCH_BURST:-1000}
SESSIONS=${BENCH_SESSIONS:-100000}
SESSIONS_CONNS=${BENCH_SESSIONS_CONNS:-64}
SESSIONS_MAX=${BENCH_SESSIONS_MAX:-240s}
FLOOD=${BENCH_FLOOD:-10000}
FLOOD_CONNS=${BENCH_FLOOD_CONNS:-256}
MINT_PER_S=${BENCH_MINT_PER_S:-50}
MINT_BURST=${BENCH_MINT_BURST:-50}
# Per-key and per-IP limits of the bench policy: present (so they are
# evaluated on every request) but far above anything a run can send.
NO_BIND_RATE="1000000/s burst 1000000"
# Slack on the mint bound: the mint counter is read around the load run,
# whose own clock starts a little after the first read.
FLOOD_SLACK_S=0.1

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cozeauth-bench.XXXXXX")
pids=()

trap cleanup EXIT
trap 'exit 130' INT TERM

# status_count LINE CODE: how many answers in load's LINE had HTTP status
# CODE (0 if none).
status_count() {
	sed -n 's/.*"status":{\([^}]*\)}.*/\1/p' <<<"$1" | tr ',' '\n' |
		awk -F: -v k="\"$2\"" '$1 == k { n = $2 } END { print n + 0 }'
}

# status_p99 LINE CODE: p99 latency in ms of the answers with status CODE
# (load -by-status), "-" if none.
status_p99() {
	local v
	v=$(sed -n "s/.*\"latency_by_status\":{.*\"$2\":{\([^}]*\)}.*/\1/p" <<<"$1")
	if [[ -n $v ]]; then jnum "$v" p99_ms; else echo -; fi
}

mints() {
	jnum "$(curl -fsS "$stats_url")" mints
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) } # fields after "(comm) "; utime and stime are fields 12 and 13 from here
	awk '{ print $12 + $13 }' <<<"$stat"
}
clk_tck=$(getconf CLK_TCK)

# ge A B: A >= B, as decimals.
ge() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'
}

# div A B: A / B to 3 decimals (0 when B is 0).
div() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }'
}

# mean NUMBER...: the mean, to 1 decimal.
mean() {
	printf '%s\n' "$@" | awk '{ s += $1 } END { printf "%.1f", (NR > 0 ? s / NR : 0) }'
}

build cmd/cozeauth bench/hello bench/load
echo "== machine: $(machine)"
echo "   conns=$CONNS duration=$DURATION warmup=$WARMUP rounds=$ROUNDS burst=$BURST sessions=$SESSIONS (c=$SESSIONS_CONNS) flood=$FLOOD (c=$FLOOD_CONNS, mint_rate $MINT_PER_S/s burst $MINT_BURST)${BENCH_GOMEMLIMIT:+ cozeauth GOMEMLIMIT=$BENCH_GOMEMLIMIT}${BENCH_GOGC:+ cozeauth GOGC=$BENCH_GOGC}"

coze_env=()
if [[ -n ${BENCH_GOMEMLIMIT:-} ]]; then
	coze_env=("GOMEMLIMIT=$BENCH_GOMEMLIMIT")
fi
if [[ -n ${BENCH_GOGC:-} ]]; then
	coze_env+=("GOGC=$BENCH_GOGC")
fi

# start_serve NAME [VAR=VALUE...] [FLAG...]: start `cozeauth serve` in the
# background with those environment variables and flags on a free
# loopback port (port 0, no race: it logs its address); sets srv_pid and
# srv_base. Logs go to $tmp/NAME.log.
start_serve() {
	local name=$1 vars=()
	shift
	while [[ $# -gt 0 && $1 == [A-Z]*=* ]]; do
		vars+=("$1")
		shift
	done
	env "${coze_env[@]}" "${vars[@]}" "$tmp/cozeauth" serve --listen 127.0.0.1:0 --audit-log off "$@" \
		>"$tmp/$name.out" 2>"$tmp/$name.log" &
	srv_pid=$!
	pids+=("$srv_pid")
	srv_base=$(wait_for "$tmp/$name.log" 'msg=serving addr=http://127\.0\.0\.1:[0-9]+' | sed 's/.*addr=//')
	wait_ok "$srv_base/healthz"
}

# write_config FILE [MINT_RATE]: a config file for the emulator's app
# (with that mint_rate, if given), the bench policy (session trust,
# non-binding per-key and per-IP limits) and the shared keys file.
write_config() {
	{
		cat <<-YAML
			apps:
			  - name: bench
			    client_id: "1170000000000"
			    key_id: bench-kid
			    private_key_file: "$tmp/keys/private_key.pem"
			    api_base: "$emu_base"
			    audience: api.coze.cn
		YAML
		if [[ -n ${2:-} ]]; then echo "    mint_rate: $2"; fi
		cat <<-YAML
			keys_file: "$tmp/clients.yaml"
			policies:
			  - name: bench
			    apps: [bench]
			    session: trust
			    rate_per_key: $NO_BIND_RATE
			    rate_per_ip: $NO_BIND_RATE
		YAML
	} >"$1"
	chmod 600 "$1"
}

# The Coze emulator runs as its own process, so the RSS measured below is
# cozeauth's alone.
start_emulator
stats_url="$emu_base/_emulator/stats"
wait_ok "$stats_url"

"$tmp/hello" -listen 127.0.0.1:0 2>"$tmp/hello.log" &
hello_pid=$!
pids+=("$hello_pid")
hello_base=$(wait_for "$tmp/hello.log" 'http://127\.0\.0\.1:[0-9]+' | head -1)
wait_ok "$hello_base/"

start_serve cozeauth COZEAUTH_CONFIG= CLIENT_ID=1170000000000 KID=bench-kid \
	PRIVATE_KEY_FILE="$tmp/keys/private_key.pem" COZE_API_BASE="$emu_base" AUDIENCE=api.coze.cn
coze_pid=$srv_pid coze_base=$srv_base

write_config "$tmp/keyed.yaml"
write_config "$tmp/flood.yaml" "$MINT_PER_S/s burst $MINT_BURST"
client_key=$("$tmp/cozeauth" keys create --config "$tmp/keyed.yaml" --name bench --policy bench 2>"$tmp/keys.log") ||
	die "keys create failed: $(cat "$tmp/keys.log")"
[[ $client_key == cza_* ]] || die "keys create printed no cza_ key"
auth="Authorization: Bearer $client_key"
start_serve keyed --config "$tmp/keyed.yaml"
keyed_pid=$srv_pid keyed_base=$srv_base
start_serve flood --config "$tmp/flood.yaml"
flood_pid=$srv_pid flood_base=$srv_base
echo "   open cozeauth pid $coze_pid at $coze_base, keyed pid $keyed_pid at $keyed_base, flood pid $flood_pid at $flood_base"
echo "   emulator $emu_base; hello pid $hello_pid at $hello_base"

# The keyed instance must accept the key and refuse a request without one.
curl -fsS -o /dev/null -X POST -H "$auth" -H 'X-User-ID: hot' "$keyed_base/token" ||
	die "the keyed instance refused the client key"
[[ $(curl -sS -o /dev/null -w '%{http_code}' -X POST -H 'X-User-ID: hot' "$keyed_base/token") == 401 ]] ||
	die "the keyed instance did not refuse a request without a key"

rss_start=$(rss_kb "$coze_pid")

# cpu_us_per_req TICKS_BEFORE TICKS_AFTER REQUESTS: server CPU per request.
cpu_us_per_req() {
	awk -v a="$1" -v b="$2" -v n="$3" -v hz="$clk_tck" 'BEGIN { printf "%.1f", (n > 0 ? (b - a) / hz * 1e6 / n : 0) }'
}

run_load() { # NAME ARGS...: run load, print and save its line
	run_tool "$1" load "${@:2}"
}

# hot_run NAME URL PID [LOAD FLAG...]: warm up, then one measured hot-session
# run against URL; sets hot_line (load's line) and hot_cpu (PID's CPU per
# request, us). The warmup runs outside the CPU reading, so that counts
# measured requests only.
hot_run() {
	local name=$1 url=$2 pid=$3 t0 t1
	shift 3
	"$tmp/load" -url "$url" -c "$CONNS" -d "$WARMUP" -sessions hot "$@" >/dev/null
	t0=$(cpu_ticks "$pid")
	hot_line=$(run_load "$name" -url "$url" -c "$CONNS" -d "$DURATION" -sessions hot "$@")
	t1=$(cpu_ticks "$pid")
	hot_cpu=$(cpu_us_per_req "$t0" "$t1" "$(jnum "$hot_line" requests)")
	hot_errors=$((hot_errors + $(jnum "$hot_line" errors)))
}

# Per-server results of the hot rounds: NAME_rounds (rps), NAME_cpu (us per
# request), best_NAME (line of the best round).
hello_rounds=() coze_rounds=() keyed_rounds=()
hello_cpu=() coze_cpu=() keyed_cpu=()
best_hello="" best_coze="" best_keyed=""
hot_errors=0

# record NAME: file hot_line and hot_cpu under NAME.
record() {
	local -n rounds=${1}_rounds cpu=${1}_cpu best=best_$1
	rounds+=("$(jnum "$hot_line" rps)")
	cpu+=("$hot_cpu")
	if [[ -z $best ]] || ge "$(jnum "$hot_line" rps)" "$(jnum "$best" rps)"; then best=$hot_line; fi
}

hot_open() {
	hot_run "cozeauth round $1" "$coze_base/token" "$coze_pid"
	record coze
}

hot_keyed() {
	hot_run "keyed round $1" "$keyed_base/token" "$keyed_pid" -header "$auth"
	record keyed
}

# (a) + (b) + (e): alternate so that drift in the machine's load hits all
# three; (b) and (e) swap order every round.
echo "== (a) hello vs (b) cozeauth open vs (e) cozeauth keyed, hot session: $ROUNDS rounds of $DURATION, c=$CONNS"
ratios=() keyed_ratios=()
mints_before_hot=$(mints)
for ((r = 1; r <= ROUNDS; r++)); do
	hot_run "hello round $r" "$hello_base/token" "$hello_pid"
	record hello
	if ((r % 2)); then
		hot_open "$r"
		hot_keyed "$r"
	else
		hot_keyed "$r"
		hot_open "$r"
	fi
	ratios+=("$(div "${coze_rounds[-1]}" "${hello_rounds[-1]}")")
	keyed_ratios+=("$(div "${keyed_rounds[-1]}" "${coze_rounds[-1]}")")
done
hot_mints=$(($(mints) - mints_before_hot))
# The targets use the median of the per-round ratios: each round pairs runs
# seconds apart, so machine drift cancels better than in best-of-N.
ratio=$(median "${ratios[@]}")
best_ratio=$(div "$(jnum "$best_coze" rps)" "$(jnum "$best_hello" rps)")
keyed_ratio=$(median "${keyed_ratios[@]}")
cpu_ratio=$(div "$(mean "${coze_cpu[@]}")" "$(mean "${hello_cpu[@]}")")
keyed_cpu_ratio=$(div "$(mean "${keyed_cpu[@]}")" "$(mean "${coze_cpu[@]}")")

# (c) cold single flight: a session nobody asked for yet, BURST requests at once.
echo "== (c) cold burst: $BURST concurrent requests for one new session"
cold_session="cold-$$-$RANDOM"
m0=$(mints)
burst=$(run_load "burst" -url "$coze_base/token" -burst "$BURST" -session "$cold_session" -preconnect "$coze_base/healthz")
burst_mints=$(($(mints) - m0))

# (d) many distinct sessions: each one is one mint (an RSA-2048 signature).
echo "== (d) $SESSIONS distinct sessions, c=$SESSIONS_CONNS (cap $SESSIONS_MAX)"
m0=$(mints)
distinct=$(run_load "distinct" -url "$coze_base/token" -c "$SESSIONS_CONNS" -n "$SESSIONS" -d "$SESSIONS_MAX" -sessions distinct -prefix "d$$-")
distinct_mints=$(($(mints) - m0))
rss_after=$(rss_kb "$coze_pid")
hwm_after=$(hwm_kb "$coze_pid")
sleep 5
rss_settled=$(rss_kb "$coze_pid")

# (f) mint cap: a flood of distinct sessions from one IP. The policy's
# per-IP limit does not bind, so every request reaches the broker and the
# app's mint_rate is what holds upstream mints down; a request whose mint
# slot is more than 2 s away gets 503 mint_rate_limited at once.
echo "== (f) mint cap: $FLOOD distinct sessions from one IP, c=$FLOOD_CONNS, mint_rate $MINT_PER_S/s burst $MINT_BURST"
flood_rss_before=$(rss_kb "$flood_pid")
m0=$(mints)
flood=$(run_load "flood" -url "$flood_base/token" -c "$FLOOD_CONNS" -n "$FLOOD" -d 120s -sessions distinct -prefix "f$$-" \
	-header "$auth" -by-status)
flood_mints=$(($(mints) - m0))
flood_rss_after=$(rss_kb "$flood_pid")
flood_hwm=$(hwm_kb "$flood_pid")
flood_secs=$(jnum "$flood" seconds)
flood_cap=$(awk -v r="$MINT_PER_S" -v b="$MINT_BURST" -v t="$flood_secs" -v s="$FLOOD_SLACK_S" 'BEGIN { printf "%.1f", r * (t + s) + b }')
flood_200=$(status_count "$flood" 200)
flood_503=$(status_count "$flood" 503)
flood_429=$(status_count "$flood" 429)
flood_other=$(($(jnum "$flood" requests) - flood_200 - flood_503 - flood_429))
flood_rise=$((flood_rss_after - flood_rss_before))

# (g) summary.
echo
echo "== summary ($(nproc) CPUs, load generator and servers share them)"
printf '%-34s %10s %9s %9s %9s %8s\n' "phase" "rps" "p50 ms" "p99 ms" "errors" "mints"
row() { # LABEL LINE MINTS
	printf '%-34s %10s %9s %9s %9s %8s\n' "$1" "$(jnum "$2" rps)" "$(jnum "$2" p50_ms)" "$(jnum "$2" p99_ms)" "$(jnum "$2" errors)" "$3"
}
row "(a) hello baseline, hot (best)" "$best_hello" "-"
row "(b) cozeauth open, hot (best)" "$best_coze" "$hot_mints"
row "(e) cozeauth keyed, hot (best)" "$best_keyed" "-"
row "(c) cold burst x$BURST, 1 session" "$burst" "$burst_mints"
row "(d) $SESSIONS distinct sessions" "$distinct" "$distinct_mints"
row "(f) flood $FLOOD sessions, 1 IP" "$flood" "$flood_mints"
echo
echo "hot rps ratio cozeauth/hello: median of rounds $ratio (rounds: ${ratios[*]}; best of each: $best_ratio)"
echo "hot rps per round: hello ${hello_rounds[*]} / cozeauth ${coze_rounds[*]} / keyed ${keyed_rounds[*]}"
echo "server CPU per hot request, us: hello ${hello_cpu[*]} / cozeauth ${coze_cpu[*]} (cozeauth/hello $cpu_ratio)"
echo "policy cost: keyed/open rps median of rounds $keyed_ratio (rounds: ${keyed_ratios[*]}); CPU per request keyed ${keyed_cpu[*]} us, keyed/open $keyed_cpu_ratio"
echo "cozeauth RSS: $(mb "$rss_start") MB at start; after $SESSIONS sessions $(mb "$rss_after") MB (peak $(mb "$hwm_after") MB, $(mb "$rss_settled") MB 5s later)"
echo "  (cozeauth alone: the Coze emulator runs in its own process)"
echo "mint cap flood: $flood_mints mints in $flood_secs s, cap $MINT_PER_S x ($flood_secs + $FLOOD_SLACK_S) + $MINT_BURST = $flood_cap;" \
	"answers 200: $flood_200 (p99 $(status_p99 "$flood" 200) ms), 503: $flood_503 (p99 $(status_p99 "$flood" 503) ms), 429: $flood_429, other: $flood_other"
echo "flood RSS: $(mb "$flood_rss_before") MB before, $(mb "$flood_rss_after") MB after (peak $(mb "$flood_hwm") MB)"
echo

fail=0
check "hot rps >= 0.9 x baseline" "$(ok ge "$ratio" 0.9)" "median ratio $ratio over $ROUNDS rounds"
check "hot phase: no errors" "$(ok test "$hot_errors" -eq 0)" "$hot_errors errors"
check "key check + policy: keyed rps >= 0.95 x open" "$(ok ge "$keyed_ratio" 0.95)" "median ratio $keyed_ratio over $ROUNDS rounds; CPU per request keyed/open $keyed_cpu_ratio"
check "cold burst -> exactly 1 mint" "$(ok test "$burst_mints" -eq 1 -a "$(jnum "$burst" errors)" -eq 0)" "$burst_mints mints, $(jnum "$burst" errors) errors for $BURST requests"
check "$SESSIONS distinct sessions -> $SESSIONS mints" "$(ok test "$distinct_mints" -eq "$SESSIONS" -a "$(jnum "$distinct" errors)" -eq 0)" "$distinct_mints mints, $(jnum "$distinct" requests) requests, $(jnum "$distinct" errors) errors"
check "RSS after $SESSIONS sessions < 100 MB" "$(ok test "$rss_after" -lt $((100 * 1024)))" "$(mb "$rss_after") MB"
# The cap must also have been reached (at least a burst of mints, each one
# a 200, nothing refused before the broker) for the bound to mean anything:
# a flood refused by a bad key or a binding per-IP limit would pass it with
# 0 mints.
flood_ok() {
	ge "$flood_cap" "$flood_mints" &&
		((flood_mints >= MINT_BURST && flood_200 == flood_mints && flood_429 == 0 && flood_other == 0))
}
check "flood: mints <= mint_rate x elapsed + burst" "$(ok flood_ok)" \
	"$flood_mints mints <= $flood_cap; $flood_200 x 200, $flood_503 x 503, $flood_429 x 429, $flood_other other"
check "flood: RSS rise < 50 MB" "$(ok test "$flood_rise" -lt $((50 * 1024)))" "$(mb "$flood_rss_before") -> $(mb "$flood_rss_after") MB"
exit "$fail"
