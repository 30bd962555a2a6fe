#!/bin/sh
# The clean-model campaign, long form: every corpus/ family, every knob off,
# random and PCT for 1,000,000 runs each and exhaustive DFS at bound 2 (capped at
# 2,000,000 schedules).  Expect "no finding" everywhere.  Usage: bench/clean.sh [BUILD_DIR]
set -eu
M="$(cd "${1:-build}" && pwd)/mmfuzz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in corpus/*.sched; do
	for st in "random" "pct --depth 3" "dfs --bound 2"; do
		# shellcheck disable=SC2086
		printf '%-28s %s\n' "$(basename "$f")" "$(cd "$tmp" && "$M" explore "$OLDPWD/$f" --knobs= \
			--runs 1000000 --strategy $st --seed 1 | head -n 1)"
	done
done
