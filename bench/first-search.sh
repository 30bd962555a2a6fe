#!/bin/bash
# How often the harness's first search of a knob's stripped regression scenario
# finds the knob: N inputs, each the scenario (schedule stripped, as the zoo seeds
# the engines) salted (`mmfuzz encode --salt`: the same scenario, another input
# hash), so each input gets its own aims order and PCT/random seeds.  Each runs
# once in a fresh libFuzzer process (no mutation): its own schedule and the
# search's budget for a scenario never seen.
#
# Why: a knob found in a first search takes 1-20 runs, one that is not hundreds, so
# the zoo's medians over 3-5 seeds (each seed its own salted file since 2026-12-05;
# before, all shared one file and so one first search) turn on a few hashes.  This
# prints the chance instead, for one build or two side by side (A and B), with the
# totals.
# Usage: bench/first-search.sh BUILD_A [BUILD_B] [N]   (N default 60; knobs: KNOBS=
# "a b" or every regressions/KNOB.sched whose name is a knob)
set -u
A=$1
Bd=${2:-}
N=${3:-60}
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/stripped.sh"
knobs=${KNOBS:-$("$here/build/mmfuzz" knobs 2>/dev/null | awk '{print $1}')}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# found BUILD KNOB: how many of the N inputs' first searches found KNOB
found() {
	local w="$tmp/$(basename "$1")-$2" n=0 on
	mkdir -p "$w"
	on=$(stripped_input "$here" "$2" "$w") || return 1
	for s in $(seq 1 "$N"); do
		salted "$here" "$w" "$s" || return 1
		MMFUZZ_PAGES=64 MMFUZZ_KNOBS=$on "$1/fuzz/mm_fuzzer" -runs=1 "$w/in.bin" 2>&1 |
			grep -q 'found by run' && n=$((n + 1))
	done
	echo "$n"
}
printf '%-38s %10s %10s\n' knob "A (of $N)" "${Bd:+B (of $N)}"
ta=0 tb=0
for k in $knobs; do
	[ -f "$here/regressions/$k.sched" ] || continue
	a=$(found "$A" "$k") || exit 2
	b=
	if [ -n "$Bd" ]; then
		b=$(found "$Bd" "$k") || exit 2
		tb=$((tb + b))
	fi
	ta=$((ta + a))
	printf '%-38s %10s %10s\n' "$k" "$a" "$b"
done
echo "summary: first searches that found the knob, A $ta${Bd:+, B $tb} ($N inputs a knob)"
