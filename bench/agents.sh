#!/bin/sh
# Executions per second as a scenario grows from 2 to 4 agents (same operations
# per agent: a store, a load, a DONTNEED), knobs off, random and PCT side by side.
# Usage: bench/agents.sh [BUILD_DIR]
set -eu
M="$(cd "${1:-build}" && pwd)/mmfuzz"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for n in 2 3 4; do
	f="$tmp/agents-$n.sched"
	{
		echo "mmfuzz-sched 1"
		echo "setup"
		echo "  CPU0 P0 mmap 0x0 pages=4 file=F0 shared rw"
		echo "agents"
		i=0
		while [ $i -lt "$n" ]; do
			echo "  CPU$i P0 store 0x$((i))000 = $((i + 1))"
			echo "  CPU$i P0 load 0x$(((i + 1) % n))000"
			echo "  CPU$i P0 madvise 0x$(((i + 1) % n))000 pages=1 dontneed"
			i=$((i + 1))
		done
	} >"$f"
	for st in random "pct --depth 3"; do
		# shellcheck disable=SC2086
		r=$(cd "$tmp" && "$M" explore "$f" --knobs= --runs 100000 --strategy $st --seed 1 | head -n 1)
		printf '%d agents  %s\n' "$n" "$r"
	done
done
