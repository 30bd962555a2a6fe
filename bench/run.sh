#!/bin/sh
# Run the benchmarks of one build side by side and end with every ratio in one
# place.  Usage: bench/run.sh [BUILD_DIR] [--all]   (default BUILD_DIR: build)
#   bench_sched   the scheduler's hot paths (yield, switch)
#   runs.sh       in-process runs per CPU second: the zap scenario and the floor
#   agents.sh     ns per step at 1..4 agents and the ratio to 1 agent
#   fuzzing.sh    libFuzzer and AFL++ against the harness alone on the same inputs
# --all adds the long ones: strategies.sh (time to each race per strategy),
# clean.sh (the clean-model campaign) and feedback.sh (interleaving feedback vs
# code coverage vs PCT, about an hour).  Nothing here fails on a timing, only on a
# benchmark that cannot run.  Each line of the summary is printed with the date
# and the machine's load, which the README's numbers quote.
set -e
B=build
all=
for a in "$@"; do
	case $a in
	--all) all=1 ;;
	*) B=$a ;;
	esac
done
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== scheduler ($B/bench_sched)"
"$B/bench_sched"
scripts="runs agents fuzzing"
[ -z "$all" ] || scripts="$scripts strategies clean feedback"
for s in $scripts; do
	echo
	echo "== $s"
	"$here/$s.sh" "$B" | tee -a "$tmp/out"
done
echo
echo "== ratios ($(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load average$(uptime | sed 's/.*load average//'))"
sed -n 's/^summary: //p' "$tmp/out"
