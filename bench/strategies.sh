#!/bin/sh
# Time to find each knob's race, per strategy, side by side in one run, plus the
# raw execution rate of the clean model.  Usage: bench/strategies.sh [BUILD_DIR
# [REGRESSION...]] (default: every regression).  Medians over seeds 1..5 for the
# randomised strategies; DFS is deterministic.
set -eu
B=${1:-build}
[ $# -gt 0 ] && shift
[ $# -gt 0 ] || set -- regressions/*.sched
M="$(cd "$B" && pwd)/mmfuzz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# "none" when no seed found it within the run budget
median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) print "none"; else print a[int((NR+1)/2)]}'; }

# runs and seconds to the first finding: "RUNS SECONDS" or "- -"
first() {
	file=$1
	shift
	out=$(cd "$tmp" && "$M" explore "$OLDPWD/$file" --runs 2000000 "$@" 2>/dev/null | head -n 1) || true
	echo "$out" | sed -n 's/^[a-z]*: \([0-9]*\) runs in \([0-9.]*\) s.*first finding.*/\1 \2/p'
}

echo "runs to the first finding (median of seeds 1-5; DFS: one deterministic search;"
echo "budget 2,000,000 runs; 'none': not found within it)"
printf '%-28s %-10s %12s %12s %10s\n' knob strategy runs seconds "vs random"
for f in "$@"; do
	knob=$(sed -n 's/^knobs *//p' "$f" | head -n 1)
	base=""
	for st in "random" "pct --depth 1" "pct --depth 2" "pct --depth 3" "dfs --bound 1" "dfs --bound 2"; do
		runs=""
		secs=""
		case "$st" in
		dfs*) seeds=1 ;;
		*) seeds="1 2 3 4 5" ;;
		esac
		for seed in $seeds; do
			# shellcheck disable=SC2086
			r=$(first "$f" --strategy $st --seed "$seed")
			[ -n "$r" ] || r="- -"
			runs="$runs ${r% *}"
			secs="$secs ${r#* }"
		done
		mr=$(echo "$runs" | tr ' ' '\n' | grep -v '^-*$' | median)
		ms=$(echo "$secs" | tr ' ' '\n' | grep -v '^-*$' | median)
		[ -n "$base" ] || base=$mr
		ratio=$(awk -v a="$mr" -v b="$base" 'BEGIN { if (a == "none" || a == 0) print "-"; else printf "%.2fx", b / a }')
		printf '%-28s %-10s %12s %12s %10s\n' "$knob" "$(echo "$st" | tr -d -- '-' | sed 's/ depth /d=/; s/ bound /b=/')" "$mr" "$ms" "$ratio"
	done
done

echo
echo "execution rate, knobs off (no finding, so every run completes):"
for f in regressions/zap-rmap-before-flush.sched; do
	for st in random "pct --depth 3" "dfs --bound 2"; do
		# shellcheck disable=SC2086
		(cd "$tmp" && "$M" explore "$OLDPWD/$f" --knobs= --runs 200000 --strategy $st --seed 1 | head -n 1)
	done
done
