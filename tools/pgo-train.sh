#!/bin/sh
# The profile build/mmfuzz is compiled against (see the Makefile): an instrumented
# mmfuzz explores every regression and corpus scenario, every knob off with the
# random strategy and the knobs the file names with PCT, 1,000 schedules each
# (about 200,000 executions, a few seconds).  Findings are expected (exit 1); any
# other status (bad input 2, a crash) stops the build.  Each process writes
# OUT_DIR/PID.profraw.
# Usage: tools/pgo-train.sh INSTRUMENTED_MMFUZZ OUT_DIR
set -eu
[ $# -eq 2 ] || { echo "usage: $0 INSTRUMENTED_MMFUZZ OUT_DIR" >&2; exit 2; }
mkdir -p "$2"
LLVM_PROFILE_FILE="$(cd "$2" && pwd)/%p.profraw"
export LLVM_PROFILE_FILE
for f in regressions/*.sched corpus/*.sched; do
	for how in "--knobs= --strategy random" "--strategy pct"; do
		# shellcheck disable=SC2086 # $how is two options
		rc=0 && "$1" explore "$f" $how --seed 1 --runs 1000 >/dev/null 2>&1 || rc=$?
		[ "$rc" -le 1 ] || { echo "$0: $1 explore $f $how: exit $rc" >&2; exit 1; }
	done
done
n=$(find "$2" -name '*.profraw' | wc -l)
[ "$n" -gt 0 ] || { echo "$0: no profile written to $2" >&2; exit 1; }
