# bench/lib.sh: helpers shared by bench/run.sh and bench/gateway.sh.
# Sourced, not run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# It only defines functions; the sourcing script keeps its own
# `set -euo pipefail` and sets the globals they use:
#   root   the repository's root (build, machine);
#   tmp    the run's temp dir (cleanup, build, start_emulator, run_tool);
#   pids   the servers started in the background, an array (cleanup,
#          start_emulator appends to it);
#   bg_pid optional: a client running in the background, killed by
#          cleanup while it is set and not empty;
#   fail   set to 1 by check when a target fails.
# BENCH_KEEP (set: cleanup keeps $tmp) is read from the environment.

# cleanup: stop the background processes and remove $tmp (unless
# BENCH_KEEP is set). The scripts run it on EXIT.
cleanup() {
	local p
	for p in ${bg_pid:+"$bg_pid"} "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${pids[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [[ -n ${BENCH_KEEP:-} ]]; then
		echo "logs and raw results kept in $tmp" >&2
	else
		rm -rf "$tmp"
	fi
}

# die MESSAGE...: print MESSAGE after the running script's name and exit 2.
die() {
	echo "${BASH_SOURCE[-1]##*/}: $*" >&2
	exit 2
}

# build PKG...: go build each package (a path from $root) into
# $tmp/NAME, NAME being the package path's last element.
build() {
	local p
	echo "== build (in $tmp)"
	for p in "$@"; do
		(cd "$root" && go build -o "$tmp/${p##*/}" "./$p") || die "build of $p failed"
	done
}

# machine: CPUs, Go, kernel and the commit measured, for the run's header.
machine() {
	local rev
	rev=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n $(git -C "$root" status --porcelain 2>/dev/null) ]]; then rev="$rev+dirty"; fi
	echo "$(nproc) CPUs, $(go version | cut -d' ' -f3-), $(uname -sr); cozeauth at $rev"
}

# start_emulator: a key pair in $tmp/keys and `cozeauth emulator` (built
# into $tmp) for it, on a free loopback port (port 0, no race: it prints
# its address); sets emu_base.
start_emulator() {
	"$tmp/cozeauth" keygen --out "$tmp/keys" >/dev/null 2>&1 || die "keygen failed"
	"$tmp/cozeauth" emulator --listen 127.0.0.1:0 --pub "$tmp/keys/public_key.pem" \
		--client-id 1170000000000 --kid bench-kid >"$tmp/emulator.out" 2>"$tmp/emulator.log" &
	pids+=("$!")
	emu_base=$(wait_for "$tmp/emulator.out" 'listening on http://127\.0\.0\.1:[0-9]+' | sed 's/.*on //')
}

# run_tool NAME TOOL ARGS...: run $tmp/TOOL, print its line (and echo it to
# stderr as NAME's), saving it to $tmp/results.jsonl.
run_tool() {
	local name=$1 tool=$2 line
	shift 2
	line=$("$tmp/$tool" "$@") || die "$tool failed for $name"
	echo "$line" >>"$tmp/results.jsonl"
	echo "   $name: $line" >&2
	echo "$line"
}

# jnum LINE FIELD: a top-level number field of a flat JSON line.
jnum() {
	local v
	v=$(sed -n "s/.*\"$2\":\([-0-9.eE+]*\).*/\1/p" <<<"$1")
	[[ -n $v ]] || die "no field $2 in: $1"
	echo "$v"
}

# wait_for FILE REGEX: print the first match of REGEX in FILE, waiting up to 30s.
wait_for() {
	local i m
	for ((i = 0; i < 300; i++)); do
		if m=$(grep -o -m1 -E "$2" "$1" 2>/dev/null); then
			echo "$m"
			return 0
		fi
		sleep 0.1
	done
	die "timed out waiting for /$2/ in $1: $(tail -5 "$1" 2>/dev/null)"
}

# wait_ok URL: wait up to 10s for a 200 from URL.
wait_ok() {
	local i
	for ((i = 0; i < 100; i++)); do
		if curl -fsS -o /dev/null "$1" 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	die "$1 does not answer"
}

# rss_kb PID, hwm_kb PID: PID's resident set size now and its high-water
# mark, in kB.
rss_kb() {
	awk '$1 == "VmRSS:" {print $2}' "/proc/$1/status"
}

hwm_kb() {
	awk '$1 == "VmHWM:" {print $2}' "/proc/$1/status"
}

# mb KB: KB in MB, to 1 decimal.
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# median NUMBER...: the median, to 3 decimals (sort -g: exponents too).
median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

# check NAME OK DETAIL: print PASS or FAIL (OK is 1 or 0) for a target;
# a FAIL sets fail=1.
check() {
	if [[ $2 == 1 ]]; then
		echo "PASS  $1 ($3)"
	else
		echo "FAIL  $1 ($3)"
		fail=1
	fi
}

# ok COMMAND...: 1 if COMMAND succeeds, else 0.
ok() { if "$@"; then echo 1; else echo 0; fi; }
