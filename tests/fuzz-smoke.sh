#!/bin/sh
# Fuzzing smoke test (CI): the libFuzzer target must find the zap race from an
# empty corpus with the knob on, and the parser fuzzer must run clean.
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/scn"
MMFUZZ_KNOBS=zap-rmap-before-flush build/fuzz/mm_fuzzer -max_total_time=60 -seed=1 \
	-artifact_prefix="$work/" "$work/corpus" >"$work/mm.log" 2>&1
if ! grep -q "FINDING lost-write" "$work/mm.log"; then
	tail -20 "$work/mm.log"
	echo "fuzz-smoke: mm_fuzzer did not find the zap race in 60 s: 0 passed, 1 failed"
	exit 1
fi
grep -E "FINDING|stat::number_of_executed_units|^#[0-9]+.*(NEW|pulse)" "$work/mm.log" | tail -3
crash=$(ls "$work"/crash-* | head -n 1)
build/mmfuzz decode "$crash" >"$work/found.sched"
if ! build/mmfuzz replay "$work/found.sched" --knobs=zap-rmap-before-flush >/dev/null 2>&1; then
	: # exit 1 expected: a finding
else
	echo "fuzz-smoke: the crash input does not replay to a finding: 0 passed, 1 failed"
	exit 1
fi
if ! build/mmfuzz replay "$work/found.sched" --knobs= >/dev/null 2>&1; then
	echo "fuzz-smoke: the crash input also fails with every knob off: 0 passed, 1 failed"
	exit 1
fi
if ! build/fuzz/scenario_fuzzer -max_total_time=30 -seed=1 "$work/scn" >"$work/scn.log" 2>&1; then
	tail -30 "$work/scn.log"
	echo "fuzz-smoke: scenario_fuzzer failed: 1 passed, 1 failed"
	exit 1
fi
echo "fuzz-smoke: 2 passed, 0 failed"
