#!/bin/sh
# Cost per step as a scenario grows from 1 to 4 agents, 8 operations each (stores,
# loads and MADV_DONTNEEDs of each other's pages: TLB shootdown IPIs from 2 agents
# on), knobs off, the random strategy.  ns/step is of the concurrent phase alone
# (`explore --timing`: the clock is read around sched_run(), so the per-execution
# reset, setup and teardown are not in it); the last column is the ratio to 1 agent.
# Goal (issue #14): 4 agents at most 1.3x the cost per step of 1 agent.
# Each row is the best of REPS repetitions (default 3) of RUNS executions (default
# 20000): the machine is shared, the minimum filters out the others' load.
# Usage: bench/agents.sh [BUILD_DIR]
set -eu
M="$(cd "${1:-build}" && pwd)/mmfuzz"
RUNS=${RUNS:-20000}
REPS=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-8s %10s %10s %10s %8s\n' agents "runs/s" "steps/run" "ns/step" ratio
base=
for n in 1 2 3 4; do
	f="$tmp/agents-$n.sched"
	{
		echo "mmfuzz-sched 1"
		echo "setup"
		echo "  CPU0 P0 mmap 0x0 pages=4 file=F0 shared rw"
		echo "agents"
		i=0
		while [ $i -lt "$n" ]; do
			nx=$(((i + 1) % n))
			for r in 1 2; do
				echo "  CPU$i P0 store 0x$((i))000 = $((i + r))"
				echo "  CPU$i P0 load 0x$((nx))000"
				echo "  CPU$i P0 madvise 0x$((nx))000 pages=1 dontneed"
				echo "  CPU$i P0 store 0x$((nx))008 = $((i + 10 * r))"
			done
			i=$((i + 1))
		done
	} >"$f"
	ns=
	for rep in $(seq "$REPS"); do
		out=$(cd "$tmp" && "$M" explore "$f" --knobs= --runs "$RUNS" --strategy random --seed 1 --timing | head -n 1)
		x=$(echo "$out" | sed -n 's/.* \([0-9.]*\) ns\/step.*/\1/p')
		if [ -z "$ns" ] || [ "$(echo "$x < $ns" | bc)" = 1 ]; then
			ns=$x
			rate=$(echo "$out" | sed -n 's/.*(\([0-9]*\) runs\/s.*/\1/p')
			spr=$(echo "$out" | sed -n 's/.* \([0-9.]*\) steps\/run.*/\1/p')
		fi
	done
	[ -n "$base" ] || base=$ns
	printf '%-8s %10s %10s %10s %8s\n' "$n" "$rate" "$spr" "$ns" "$(echo "scale=2; $ns / $base" | bc)"
done
echo "summary: ns/step 1->4 agents $base -> $ns, ratio $(echo "scale=2; $ns / $base" | bc)"
