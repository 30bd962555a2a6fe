#!/bin/sh
# Shared by the fuzzing smoke tests: LOG holds a harness report; the scenario it
# printed (between "==mmfuzz== scenario" and "==mmfuzz== end of scenario") must
# replay to ORACLE with KNOB on and run clean with every knob off.
# Usage: tests/check-report.sh NAME LOG KNOB ORACLE   (NAME prefixes messages)
set -u
name=$1 log=$2 knob=$3 oracle=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# the scenario as the harness ran it (addresses folded, schedule as taken)
sed -n '/^==mmfuzz== scenario/,/^==mmfuzz== end/p' "$log" | sed '1d;$d' >"$work/found.sched"
build/mmfuzz replay "$work/found.sched" --knobs="$knob" >"$work/on.txt" 2>&1
if ! grep -q "FINDING $oracle" "$work/on.txt"; then
	cat "$work/found.sched" "$work/on.txt"
	echo "$name: the reported scenario does not replay to the finding: 0 passed, 1 failed"
	exit 1
fi
if ! build/mmfuzz replay "$work/found.sched" --knobs= >"$work/off.txt" 2>&1; then
	cat "$work/found.sched" "$work/off.txt"
	echo "$name: the reported scenario also fails with every knob off: 0 passed, 1 failed"
	exit 1
fi
