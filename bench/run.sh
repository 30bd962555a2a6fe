#!/bin/sh
# Run every benchmark of one build, side by side.  Usage: bench/run.sh [BUILD_DIR]
# (default: build).  First the scheduler micro-benchmarks, then each other
# bench/*.sh script with the same BUILD_DIR.  Each prints its own table; nothing
# here fails on a timing, only on a benchmark that cannot run.
set -e
B=${1:-build}
here=$(dirname "$0")

echo "== scheduler ($B/bench_sched)"
"$B/bench_sched"

for script in "$here"/*.sh; do
	[ "$(basename "$script")" = run.sh ] && continue
	echo
	echo "== $(basename "$script" .sh)"
	"$script" "$B"
done
