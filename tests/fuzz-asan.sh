#!/bin/sh
# The libFuzzer target under ASan+UBSan (make fuzz-asan), CI: seeded with every
# family of corpus/ and restarting from them, every knob off, 3,000 inputs with a
# fixed seed must run to the end with no sanitizer report and no finding.  The
# harness's schedule search keeps arrays sized by what an input's run gives (aims,
# reads-from pairs); a unit test's scenarios never fill them, a corpus does (an
# array of pairs overflowed into the stack this way and went unseen by every other
# test, 2026-12-05).
set -u
bin=build/fuzz-asan/mm_fuzzer
[ -x "$bin" ] || { echo "fuzz-asan: $bin missing (make fuzz-asan): 0 passed, 1 failed" && exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/seeds"
for f in corpus/*.sched; do
	build/mmfuzz encode "$f" -o "$work/seeds/$(basename "$f" .sched).bin" || exit 1
done
MMFUZZ_FAMILIES="$work/seeds" UBSAN_OPTIONS=print_stacktrace=1 \
	"$bin" -runs=3000 -seed=1 -artifact_prefix="$work/" "$work/corpus" "$work/seeds" \
	>"$work/log" 2>&1
rc=$?
if [ $rc != 0 ] || grep -q -e "ERROR: AddressSanitizer" -e "runtime error" -e "FINDING" "$work/log"; then
	grep -m1 -A30 -e "ERROR: AddressSanitizer" -e "runtime error" -e "FINDING" "$work/log" ||
		tail -20 "$work/log"
	echo "fuzz-asan: exit $rc or a sanitizer report or a finding: 0 passed, 1 failed"
	exit 1
fi
grep -E "^#[0-9]+.*DONE" "$work/log"
echo "fuzz-asan: 3000 inputs from corpus/, knobs off, sanitizers clean: 1 passed, 0 failed"
