#!/bin/sh
# AFL++ smoke test (CI, not make test): the persistent AFL++ target with the
# structure-aware custom mutator, seeded from corpus/, must find the zap race with
# its knob on within 60 s; the crash it saves, run through the same harness, must
# print a scenario that `mmfuzz replay` replays to the same oracle (knob on) and
# that runs clean with every knob off.  Needs `make afl` and `make`.
#
# -Z (sequential queue selection): AFL++ keeps fuzzing an entry while it keeps
# finding new paths, and with interleaving feedback nearly every schedule change is
# a new path, so with its weighted random selection one seed family can take the
# whole minute (measured: 2612 of 2966 new entries from one seed, no crash).
# Sequential selection gives every family of corpus/ its turn.
set -u
knob=zap-rmap-before-flush
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/seeds"
for f in corpus/*.sched; do
	build/mmfuzz encode "$f" -o "$work/seeds/$(basename "$f" .sched).bin" || exit 1
done
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
	AFL_BENCH_UNTIL_CRASH=1 AFL_CUSTOM_MUTATOR_ONLY=1 AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/mmfuzz_mutator.so \
	MMFUZZ_KNOBS=$knob \
	afl-fuzz -V 60 -t 2000 -s 1 -Z -x build/afl/mm_fuzzer.dict -i "$work/seeds" -o "$work/out" \
	-- build/afl/mm_fuzzer_afl >"$work/afl.log" 2>&1
crash=$(ls "$work"/out/*/crashes/id:* 2>/dev/null | head -n 1)
if [ -z "$crash" ]; then
	tail -20 "$work/afl.log"
	echo "afl-smoke: afl-fuzz found no crash in 60 s: 0 passed, 1 failed"
	exit 1
fi
grep -E "execs_done|execs_per_sec|run_time" "$work"/out/*/fuzzer_stats | tr -s ' ' | paste -sd' '
MMFUZZ_KNOBS=$knob build/afl/mm_fuzzer_afl "$crash" >"$work/run.log" 2>&1
tests/check-report.sh afl-smoke "$work/run.log" $knob lost-write || exit 1
echo "afl-smoke: 1 passed, 0 failed"
