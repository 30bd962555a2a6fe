#!/bin/bash
# What each kind of schedule in the harness's search is worth: over N salted
# inputs of each knob's stripped regression scenario (bench/stripped.sh), each run
# once in a fresh libFuzzer process with MMFUZZ_SEARCH_TALLY=B (B schedules of its
# search, every one run, none stopping at a finding), how many runs of each kind
# (the aims: window, after, before, later; pct2, pct3, random) found the knob.
# Prints a row per knob (hits/runs of each kind) and the totals: runs, hits, the
# rate per run and on how many knobs the kind found anything.  Knobs the input's
# own run (no preemption) finds are listed as such and left out of the totals.
#
# The search's order of aims and its cycle of PCT depths follow these rates
# (fuzz/schedule_search.c); re-run it after changing either.
# Usage: bench/search-kinds.sh [BUILD] [N] [B]   (default build/, 10 inputs a knob,
# 200 schedules; knobs: KNOBS="a b" or every regressions/KNOB.sched that is a knob)
set -u
here=$(cd "$(dirname "$0")/.." && pwd)
. "$here/bench/stripped.sh"
B=${1:-$here/build}
N=${2:-10}
S=${3:-200}
knobs=${KNOBS:-$("$here/build/mmfuzz" knobs 2>/dev/null | awk '{print $1}')}
[ -x "$B/fuzz/mm_fuzzer" ] || { echo "search-kinds: no $B/fuzz/mm_fuzzer (make fuzz)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for k in $knobs; do
	[ -f "$here/regressions/$k.sched" ] || continue
	on=$(stripped_input "$here" "$k" "$tmp") || exit 2
	for s in $(seq 1 "$N"); do
		salted "$here" "$tmp" "$s" || exit 2
		MMFUZZ_SEARCH_TALLY=$S MMFUZZ_PAGES=64 MMFUZZ_KNOBS=$on \
			"$B/fuzz/mm_fuzzer" -runs=1 "$tmp/in.bin" 2>&1 |
			sed -n "s/^==mmfuzz== tally /$k /p"
	done
done | awk -v n="$N" -v b="$S" '
{ runs[$1, $2]++; hits[$1, $2] += $3; if (!($1 in seen)) { seen[$1] = 1; order[++nk] = $1 } }
END {
	split("window after before later pct2 pct3 random", col, " ")
	printf "%-38s", "knob (hits/runs)"
	for (c = 1; c <= 7; c++) printf " %9s", col[c]
	printf "\n"
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (hits[k, "own"] > 0) { printf "%-38s found by its own run\n", k; continue }
		printf "%-38s", k
		for (c = 1; c <= 7; c++) {
			r = runs[k, col[c]] + 0
			printf " %9s", r ? hits[k, col[c]] "/" r : "-"
			R[col[c]] += r; H[col[c]] += hits[k, col[c]]; if (hits[k, col[c]] > 0) K[col[c]]++
		}
		printf "\n"
	}
	printf "\n%d inputs a knob, %d schedules each\n", n, b
	printf "%-8s %8s %6s %8s %s\n", "kind", "runs", "hits", "rate", "knobs found"
	for (c = 1; c <= 7; c++)
		printf "%-8s %8d %6d %8.3f %d\n", col[c], R[col[c]], H[col[c]], R[col[c]] ? H[col[c]] / R[col[c]] : 0, K[col[c]]
}'
