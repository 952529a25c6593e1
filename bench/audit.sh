#!/usr/bin/env bash
# bench/audit.sh: the hot token path with the audit log ON, against a
# hello-world Go server, measured in the same run by two load generators:
# wrk (C, Debian package "wrk") and bench/load (Go).
#
#   bash bench/audit.sh
#
# Builds cozeauth, bench/hello and bench/load into a temp dir and starts, on
# free loopback ports, `cozeauth emulator`, hello, and two `cozeauth serve`
# instances against that emulator (open mode, configured by environment
# variables, as bench/run.sh's "open"):
#   "audit": the audit log on as by default (stderr, here redirected to a
#            file in the temp dir, so every line is really written) and
#            metrics on (every request is counted);
#   "quiet": --audit-log off, for the cost of the audit log itself.
# Then, BENCH_ROUNDS times, with the order rotated every round so drift in
# the machine's load hits all servers alike:
#   wrk  -t BENCH_WRK_THREADS -c BENCH_CONNS -d BENCH_DURATION, POST /token
#        with X-User-ID: hot, against hello, audit and quiet;
#   load -c BENCH_CONNS -d BENCH_DURATION -sessions hot, the same three.
# Each run is preceded by a BENCH_WARMUP warm-up of the same generator.
# It prints per-round rps, the medians of the per-round ratios audit/hello
# (the target: >= 0.95 with each generator) and audit/quiet, each server's
# CPU time per request (from /proc, measured runs only: less sensitive than
# rps to other work on a shared machine), the audit lines written and
# dropped (cozeauth_audit_dropped_lines_total from /metrics), and
# PASS/FAIL.
#
# Environment (defaults): BENCH_DURATION (10s), BENCH_CONNS (64),
# BENCH_WARMUP (2s), BENCH_ROUNDS (5), BENCH_WRK_THREADS (2),
# BENCH_KEEP (set: keep the temp dir with logs and raw results),
# BENCH_GOGC (unset: run the cozeauth servers, and only them, with this
# GOGC, which turns off serve's own collector pacing; GOGC=100 is Go's
# default pacing, to measure what the pacing is worth), BENCH_AUDIT_LOG
# (unset: the "audit" server writes its audit log to stderr, a file in
# the temp dir; set: to this path instead, e.g. /dev/null to measure the
# lines without the file system's cost).
#
# wrk: installed with `apt-get install -y wrk` when missing and running as
# root; otherwise the script says so and stops.
#
# Exit status: 0 when every target passes, 1 when one fails, 2 on error.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNS:-64}
WARMUP=${BENCH_WARMUP:-2s}
ROUNDS=${BENCH_ROUNDS:-5}
WRK_THREADS=${BENCH_WRK_THREADS:-2}
TARGET=0.95

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cozeauth-audit-bench.XXXXXX")
pids=()
trap cleanup EXIT
trap 'exit 130' INT TERM

if ! command -v wrk >/dev/null; then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		echo "== installing wrk (apt-get install -y wrk)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null || die "apt-get install wrk failed"
	else
		die "wrk is needed: install it (Debian: sudo apt-get install -y wrk) and run again"
	fi
fi

build cmd/cozeauth bench/hello bench/load
echo "== machine: $(machine); $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo "   conns=$CONNS duration=$DURATION warmup=$WARMUP rounds=$ROUNDS wrk threads=$WRK_THREADS${BENCH_GOGC:+ cozeauth GOGC=$BENCH_GOGC}${BENCH_AUDIT_LOG:+ audit log to $BENCH_AUDIT_LOG}"

start_emulator
"$tmp/hello" -listen 127.0.0.1:0 2>"$tmp/hello.log" &
pids+=("$!")
hello_pid=$!
hello_base=$(wait_for "$tmp/hello.log" 'http://127\.0\.0\.1:[0-9]+' | head -1)
wait_ok "$hello_base/"

# start_serve NAME FLAG...: cozeauth serve in open mode on a free port;
# sets srv_base. Its stderr (operational log and, by default, the audit
# log) goes to $tmp/NAME.log.
start_serve() {
	local name=$1
	shift
	env COZEAUTH_CONFIG= CLIENT_ID=1170000000000 KID=bench-kid PRIVATE_KEY_FILE="$tmp/keys/private_key.pem" \
		COZE_API_BASE="$emu_base" AUDIENCE=api.coze.cn ${BENCH_GOGC:+GOGC=$BENCH_GOGC} \
		"$tmp/cozeauth" serve --listen 127.0.0.1:0 "$@" >"$tmp/$name.out" 2>"$tmp/$name.log" &
	pids+=("$!")
	srv_pid=$!
	srv_base=$(wait_for "$tmp/$name.log" 'msg=serving addr=http://127\.0\.0\.1:[0-9]+' | sed 's/.*addr=//')
	wait_ok "$srv_base/healthz"
}
start_serve audit ${BENCH_AUDIT_LOG:+--audit-log "$BENCH_AUDIT_LOG"}
audit_base=$srv_base audit_pid=$srv_pid
start_serve quiet --audit-log off
quiet_base=$srv_base quiet_pid=$srv_pid

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	local stat
	stat=$(<"/proc/$1/stat")
	stat=${stat##*) }
	awk '{ print $12 + $13 }' <<<"$stat"
}
clk_tck=$(getconf CLK_TCK)
declare -A cpu_sum req_sum

cat >"$tmp/hot.lua" <<-'LUA'
	wrk.method = "POST"
	wrk.headers["X-User-ID"] = "hot"
LUA

# wrk_rps URL PID NAME: warm up, then one measured wrk run; prints its
# requests/s and adds PID's CPU ticks and the requests to NAME's sums.
wrk_rps() {
	wrk -t "$WRK_THREADS" -c "$CONNS" -d "$WARMUP" -s "$tmp/hot.lua" "$1" >/dev/null
	local out t0 t1
	t0=$(cpu_ticks "$2")
	out=$(wrk -t "$WRK_THREADS" -c "$CONNS" -d "$DURATION" -s "$tmp/hot.lua" "$1")
	t1=$(cpu_ticks "$2")
	echo "$out" >>"$tmp/wrk.txt"
	if grep -q 'Non-2xx' <<<"$out"; then die "wrk got non-2xx answers from $1: $out"; fi
	cpu_sum[wrk.$3]=$((${cpu_sum[wrk.$3]:-0} + t1 - t0))
	req_sum[wrk.$3]=$((${req_sum[wrk.$3]:-0} + $(awk '/requests in/ { print $1 }' <<<"$out")))
	awk '/^Requests\/sec:/ { print $2 }' <<<"$out"
}

# load_rps URL PID NAME: the same with bench/load.
load_rps() {
	"$tmp/load" -url "$1" -c "$CONNS" -d "$WARMUP" -sessions hot >/dev/null
	local line t0 t1
	t0=$(cpu_ticks "$2")
	line=$(run_tool load load -url "$1" -c "$CONNS" -d "$DURATION" -sessions hot 2>/dev/null)
	t1=$(cpu_ticks "$2")
	[[ $(jnum "$line" errors) == 0 ]] || die "load got errors from $1: $line"
	cpu_sum[load.$3]=$((${cpu_sum[load.$3]:-0} + t1 - t0))
	req_sum[load.$3]=$((${req_sum[load.$3]:-0} + $(jnum "$line" requests)))
	jnum "$line" rps
}

# cpu_us TOOL NAME: NAME's server CPU per request under TOOL, in us.
cpu_us() {
	awk -v t="${cpu_sum[$1.$2]}" -v n="${req_sum[$1.$2]}" -v hz="$clk_tck" 'BEGIN { printf "%.1f", (n > 0 ? t / hz * 1e6 / n : 0) }'
}

lines_before=$(grep -c 'msg=token' "$tmp/audit.log" || true)
declare -A rps
wrk_ratio=() wrk_cost=() load_ratio=() load_cost=()
targets=(hello audit quiet)
for ((r = 1; r <= ROUNDS; r++)); do
	for tool in wrk load; do
		# Rotate the order every round.
		for ((i = 0; i < 3; i++)); do
			name=${targets[$(((i + r) % 3))]}
			case $name in
			hello) url=$hello_base/token pid=$hello_pid ;;
			audit) url=$audit_base/token pid=$audit_pid ;;
			quiet) url=$quiet_base/token pid=$quiet_pid ;;
			esac
			# Not in $(...): the CPU sums must reach this shell.
			"${tool}_rps" "$url" "$pid" "$name" >"$tmp/rps"
			rps[$tool.$name]=$(<"$tmp/rps")
		done
		echo "   round $r $tool: hello ${rps[$tool.hello]} audit ${rps[$tool.audit]} quiet ${rps[$tool.quiet]}"
		if [[ $tool == wrk ]]; then
			wrk_ratio+=("$(awk -v a="${rps[wrk.audit]}" -v b="${rps[wrk.hello]}" 'BEGIN { printf "%.3f", a / b }')")
			wrk_cost+=("$(awk -v a="${rps[wrk.audit]}" -v b="${rps[wrk.quiet]}" 'BEGIN { printf "%.3f", a / b }')")
		else
			load_ratio+=("$(awk -v a="${rps[load.audit]}" -v b="${rps[load.hello]}" 'BEGIN { printf "%.3f", a / b }')")
			load_cost+=("$(awk -v a="${rps[load.audit]}" -v b="${rps[load.quiet]}" 'BEGIN { printf "%.3f", a / b }')")
		fi
	done
done
sleep 1 # one flush interval (200 ms) and more: every line is out
lines=$(($(grep -c 'msg=token' "$tmp/audit.log" || true) - lines_before))
dropped=$(curl -fsS "$audit_base/metrics" | awk '$1 == "cozeauth_audit_dropped_lines_total" { print $2 }')
audit_mb=$(du -m "$tmp/audit.log" | cut -f1)

wrk_med=$(median "${wrk_ratio[@]}")
load_med=$(median "${load_ratio[@]}")
echo
echo "== summary ($(nproc) CPUs shared by the load generator and the servers)"
echo "audit/hello, wrk:  median $wrk_med (rounds: ${wrk_ratio[*]})"
echo "audit/hello, load: median $load_med (rounds: ${load_ratio[*]})"
echo "audit/quiet (the audit log's own cost): wrk median $(median "${wrk_cost[@]}") (${wrk_cost[*]}); load median $(median "${load_cost[@]}") (${load_cost[*]})"
for tool in wrk load; do
	echo "server CPU per request, $tool, us: hello $(cpu_us "$tool" hello) / audit $(cpu_us "$tool" audit) / quiet $(cpu_us "$tool" quiet)"
done
echo "audit lines written${BENCH_AUDIT_LOG:+ to stderr (the lines went to $BENCH_AUDIT_LOG)}: $lines ($audit_mb MB); dropped: ${dropped:-?}"
echo
fail=0
check "hot path with audit on, wrk: >= $TARGET x hello" "$(ok awk -v a="$wrk_med" -v t="$TARGET" 'BEGIN { exit !(a >= t) }')" "median ratio $wrk_med over $ROUNDS rounds"
check "hot path with audit on, load: >= $TARGET x hello" "$(ok awk -v a="$load_med" -v t="$TARGET" 'BEGIN { exit !(a >= t) }')" "median ratio $load_med over $ROUNDS rounds"
check "no audit line dropped" "$(ok test "${dropped:-1}" = 0)" "${dropped:-?} dropped"
exit "$fail"
