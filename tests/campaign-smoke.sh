#!/bin/sh
# Campaign smoke test (CI): `mmfuzz campaign` with one libFuzzer worker and the zap
# knob must write exactly one finding whose finding.sched and minimized.sched
# replay to lost-write;
# a second run on the same directory resumes (corpus kept) and still reports one
# distinct finding.  Needs `make` and `make fuzz`.
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/mmfuzz campaign --engine libfuzzer --jobs 1 --seconds 30 --out "$work/c" \
	--knobs=zap-rmap-before-flush >"$work/log" 2>&1
n=$(ls "$work/c/findings" | wc -l)
if [ "$n" != 1 ]; then
	tr '\r' '\n' <"$work/log" | tail -5
	echo "campaign-smoke: $n findings, expected 1: 0 passed, 1 failed"
	exit 1
fi
if ! build/mmfuzz replay "$work"/c/findings/*/finding.sched | grep -q "FINDING lost-write"; then
	echo "campaign-smoke: the finding does not replay: 0 passed, 1 failed"
	exit 1
fi
if ! build/mmfuzz replay --strict "$work"/c/findings/*/minimized.sched | grep -q "FINDING lost-write"; then
	echo "campaign-smoke: the minimized finding does not replay: 0 passed, 1 failed"
	exit 1
fi
corpus=$(ls "$work/c/corpus" | wc -l)
build/mmfuzz campaign --engine libfuzzer --jobs 1 --seconds 5 --out "$work/c" \
	--knobs=zap-rmap-before-flush >"$work/log2" 2>&1
if [ "$(ls "$work/c/findings" | wc -l)" != 1 ] || [ "$(ls "$work/c/corpus" | wc -l)" -lt "$corpus" ] ||
	! grep -q "1 distinct findings" "$work/c/summary.txt"; then
	tr '\r' '\n' <"$work/log2" | tail -5
	echo "campaign-smoke: resuming lost the corpus or the findings: 1 passed, 1 failed"
	exit 1
fi
echo "campaign-smoke: 2 passed, 0 failed"
