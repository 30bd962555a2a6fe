#!/bin/sh
# In-process executions per second (explore --strategy random, every knob off) of
# two scenarios: the zap race's (regressions/zap-rmap-before-flush.sched: three
# agents, 45 steps) and the floor, one agent with one load of a mapped page, where
# nearly everything is the per-execution cost (reset, setup, teardown and the end
# checks).  Rates are executions per CPU second (user+sys, /usr/bin/time), the
# best of REPS repetitions (default 3) of RUNS executions (default 100000): the
# machine is shared, CPU time and the best of three filter the others' load.
# Each scenario runs both ways: its setup restored from the snapshot taken after
# the first run (explore's default) and run afresh every time (--no-snapshot).
# When BUILD_DIR/plain/mmfuzz exists (make bench builds it: the same sources
# without LTO and the profile, see the Makefile), both scenarios also run on it,
# alternating with BUILD_DIR/mmfuzz, and the ratio is the profile's gain.
# Usage: bench/runs.sh [BUILD_DIR]
set -eu
M="$(cd "${1:-build}" && pwd)/mmfuzz"
PLAIN="$(cd "${1:-build}" && pwd)/plain/mmfuzz"
RUNS=${RUNS:-300000}
REPS=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/floor.sched" <<'SCHED'
mmfuzz-sched 1
setup
  CPU0 P0 mmap 0x0 pages=1 anon private rw
agents
  CPU0 P0 load 0x0
SCHED
cp regressions/zap-rmap-before-flush.sched "$tmp/zap.sched"
# RUNS/cpu-second of one run: rate1 MMFUZZ FILE [EXPLORE OPTION]
rate1() {
	m=$1 f=$2
	shift 2
	(cd "$tmp" && /usr/bin/time -f '%U %S' -o "$tmp/time" "$m" explore "$f" --knobs= \
		--strategy random --seed 1 --runs "$RUNS" "$@" >/dev/null)
	awk -v n="$RUNS" '{ s = $1 + $2; printf "%d", (s > 0 ? n / s : 0) }' "$tmp/time"
}
# the best of REPS repetitions: rate FILE [EXPLORE OPTION]
rate() {
	best=0
	for _ in $(seq "$REPS"); do
		r=$(rate1 "$M" "$@")
		[ "$r" -gt "$best" ] && best=$r
	done
	echo "$best"
}
# the best of REPS alternating pairs, printed as "build plain": pair FILE
pair() {
	best=0 bestp=0
	for _ in $(seq "$REPS"); do
		r=$(rate1 "$M" "$1")
		[ "$r" -gt "$best" ] && best=$r
		r=$(rate1 "$PLAIN" "$1")
		[ "$r" -gt "$bestp" ] && bestp=$r
	done
	echo "$best $bestp"
}
zap=$(rate zap.sched)
floor=$(rate floor.sched)
zap_setup=$(rate zap.sched --no-snapshot)
floor_setup=$(rate floor.sched --no-snapshot)
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
printf '%-46s %12s %12s %8s\n' scenario "runs/cpu-s" "no snapshot" ratio
printf '%-46s %12s %12s %8s\n' "zap-rmap-before-flush (3 agents, knobs off)" "$zap" \
	"$zap_setup" "$(ratio "$zap" "$zap_setup")"
printf '%-46s %12s %12s %8s\n' "floor (one agent, one load)" "$floor" "$floor_setup" \
	"$(ratio "$floor" "$floor_setup")"
echo "summary: runs/s zap $zap, floor $floor; setup snapshot vs setup every run:" \
	"zap $(ratio "$zap" "$zap_setup")x, floor $(ratio "$floor" "$floor_setup")x"
if [ -x "$PLAIN" ]; then
	# shellcheck disable=SC2046 # two numbers each
	set -- $(pair zap.sched) $(pair floor.sched)
	echo
	printf '%-46s %12s %12s %8s\n' scenario "this build" "plain build" ratio
	printf '%-46s %12s %12s %8s\n' "zap-rmap-before-flush (3 agents, knobs off)" "$1" "$2" \
		"$(ratio "$1" "$2")"
	printf '%-46s %12s %12s %8s\n' "floor (one agent, one load)" "$3" "$4" "$(ratio "$3" "$4")"
	echo "summary: LTO+profile vs plain -O2 (alternating pairs): zap $(ratio "$1" "$2")x," \
		"floor $(ratio "$3" "$4")x"
fi
