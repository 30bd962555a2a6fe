#!/bin/sh
# Fuzzing smoke test (CI): seeded with the scenario families of corpus/ and the
# dictionary derived from the operation table, the libFuzzer target must find the
# zap race with its knob on within 60 s; the scenario it reports must replay to
# the same oracle with the knob on and run clean with every knob off.  The
# collapse regressions and the THP split's (a subpage's offset kept) must survive
# the harness's address folding.  A race the
# harness's schedule search finds (not the input's own schedule) is found the same
# way by every fresh process, its report replays, and the file MMFUZZ_CRASH_DIR
# saves finds it in its own schedule.  A finding whose schedule took more preemptions
# than a scenario holds is reported with one that fits.  Then the parser fuzzer must
# run clean for 30 s.
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus" "$work/seeds" "$work/scn"
for f in corpus/*.sched; do
	build/mmfuzz encode "$f" -o "$work/seeds/$(basename "$f" .sched).bin" || exit 1
done
MMFUZZ_KNOBS=zap-rmap-before-flush build/fuzz/mm_fuzzer -max_total_time=60 -seed=1 \
	-dict=build/fuzz/mm_fuzzer.dict -artifact_prefix="$work/" \
	"$work/corpus" "$work/seeds" >"$work/mm.log" 2>&1
if ! grep -q "FINDING lost-write" "$work/mm.log"; then
	tail -20 "$work/mm.log"
	echo "fuzz-smoke: mm_fuzzer did not find the zap race in 60 s: 0 passed, 1 failed"
	exit 1
fi
grep -E "FINDING|^#[0-9]+.*(INITED|NEW)" "$work/mm.log" | tail -2
tests/check-report.sh fuzz-smoke "$work/mm.log" zap-rmap-before-flush lost-write || exit 1
# The harness folds addresses into a few pages but keeps a whole-PMD operation
# whole: the collapse regressions (16 pages at 0x10000), run through it with their
# knob, must still report their finding.
for knob in collapse-backoff-clears-ptes collapse-no-refcount-check; do
	build/mmfuzz encode regressions/$knob.sched -o "$work/$knob.bin" || exit 1
	if ! MMFUZZ_KNOBS=$knob MMFUZZ_RANDOM_RUNS=0 build/fuzz/mm_fuzzer "$work/$knob.bin" 2>&1 |
		grep -q "==mmfuzz== FINDING"; then
		echo "fuzz-smoke: the harness lost $knob's race (folded away?): 1 passed, 1 failed"
		exit 1
	fi
done
# A page of a huge range keeps its offset in the PMD (fuzz/fold.c): the split
# regression's load of the THP's last page stays on the last page, whose PTE the
# split's fill can still hold back; the scenario the harness reports replays.
knob=split-pmd-populate-no-wmb
build/mmfuzz encode regressions/$knob.sched -o "$work/$knob.bin" || exit 1
MMFUZZ_KNOBS=$knob MMFUZZ_RANDOM_RUNS=0 build/fuzz/mm_fuzzer "$work/$knob.bin" >"$work/$knob.log" 2>&1
if ! grep -q "==mmfuzz== FINDING lost-write at hw_access:load: .* 0xf008," "$work/$knob.log"; then
	echo "fuzz-smoke: the harness lost $knob's race (the THP's last page folded away?): 1 passed, 1 failed"
	exit 1
fi
tests/check-report.sh fuzz-smoke "$work/$knob.log" $knob lost-write || exit 1
# An input whose schedule names an agent without operations (the fuzzers write
# such inputs): the harness runs it without that preemption, and the scenario it
# prints must replay (not exit 125, "does not apply").
{ sed '/^schedule/,$d' regressions/zap-rmap-before-flush.sched; echo schedule
	sed -n '/^schedule/,$p' regressions/zap-rmap-before-flush.sched | sed 1d
	echo "  CPU3 at done -> CPU0"; } >"$work/dead.sched"
build/mmfuzz encode "$work/dead.sched" -o "$work/dead.bin" || exit 1
MMFUZZ_KNOBS=zap-rmap-before-flush MMFUZZ_RANDOM_RUNS=0 build/fuzz/mm_fuzzer "$work/dead.bin" \
	>"$work/dead.log" 2>&1
sed -n '/^==mmfuzz== scenario/,/^==mmfuzz== end of scenario/p' "$work/dead.log" | sed '1d;$d' \
	>"$work/dead-report.sched"
build/mmfuzz replay "$work/dead-report.sched" >/dev/null 2>&1
rc=$?
if [ $rc != 1 ]; then
	echo "fuzz-smoke: the harness printed a scenario that replays with exit $rc, not 1: 3 passed, 1 failed"
	exit 1
fi
# cow-reuse-by-refcount's scenario without its schedule: the own run is clean,
# a run of the schedule search finds it
knob=cow-reuse-by-refcount
{ sed '/^schedule/,$d' regressions/$knob.sched; echo schedule; } >"$work/search.sched"
build/mmfuzz encode "$work/search.sched" -o "$work/search.bin" || exit 1
for i in 1 2; do
	MMFUZZ_KNOBS=$knob build/fuzz/mm_fuzzer "$work/search.bin" >"$work/search$i.log" 2>&1
	sed -n '/^==mmfuzz== found by run/,/^==mmfuzz== end of scenario/p' "$work/search$i.log" |
		grep -v '^==mmfuzz== model runs' >"$work/search$i.report"
done
if ! grep -q '^==mmfuzz== found by run [2-9]' "$work/search1.report" ||
	! cmp -s "$work/search1.report" "$work/search2.report"; then
	cat "$work/search1.report" "$work/search2.report"
	echo "fuzz-smoke: the schedule search did not find $knob the same way twice: 3 passed, 1 failed"
	exit 1
fi
sed -n '/^==mmfuzz== scenario/,/^==mmfuzz== end of scenario/p' "$work/search1.log" | sed '1d;$d' \
	>"$work/search-report.sched"
mkdir "$work/crashes"
MMFUZZ_KNOBS=$knob MMFUZZ_CRASH_DIR="$work/crashes" build/fuzz/mm_fuzzer "$work/search.bin" \
	>/dev/null 2>&1
saved=$(ls "$work"/crashes/finding-* 2>/dev/null | head -1)
build/mmfuzz replay --knobs=$knob "$work/search-report.sched" >/dev/null 2>&1
rc=$?
if [ $rc != 1 ] || [ -z "$saved" ] ||
	! MMFUZZ_KNOBS=$knob build/fuzz/mm_fuzzer "$saved" 2>&1 | grep -q '^==mmfuzz== found by run 1 '; then
	echo "fuzz-smoke: the search's finding does not replay (report: exit $rc; saved: '$saved'): 3 passed, 1 failed"
	exit 1
fi
# A schedule with more preemptions than a scenario holds (48) that finds the race
# is never dropped: the zap race with every agent padded by mmap/munmap pairs runs
# ~1,200 steps, so MMFUZZ_SCHEDULES=fixed's random schedules (a switch point every
# 8 steps) overflow.  Of the inputs (the store's value varies the seed) whose log
# says so, each must report the finding, and the scenario it prints must replay.
pad() { i=0; while [ $i -lt $2 ]; do
	printf '  CPU%d P0 mmap 0x%x pages=1 anon private rw\n  CPU%d P0 munmap 0x%x pages=1\n' \
		"$1" $((0x10000 + 0x8000 * $1 + 0x1000 * i)) "$1" $((0x10000 + 0x8000 * $1 + 0x1000 * i))
	i=$((i + 1)); done; }
overflowed=0
for v in $(seq 2 40); do
	{ printf 'mmfuzz-sched 1\nknobs zap-rmap-before-flush\nsetup\n'
	  printf '  CPU2 P0 mmap 0x0 pages=1 file=F0 shared rw\n  CPU2 P0 store 0x0 = 1\nagents\n'
	  printf '  CPU0 P0 madvise 0x0 pages=1 dontneed\n'; pad 0 3
	  printf '  CPU1 writeback F0\n'; pad 1 3
	  printf '  CPU2 P0 store 0x0 = %d\n' "$v"; pad 2 3; pad 3 5; } >"$work/long.sched"
	build/mmfuzz encode "$work/long.sched" -o "$work/long.bin" >/dev/null || exit 1
	MMFUZZ_PAGES=64 MMFUZZ_KNOBS=zap-rmap-before-flush MMFUZZ_SCHEDULES=fixed MMFUZZ_RANDOM_RUNS=64 \
		build/fuzz/mm_fuzzer "$work/long.bin" >"$work/long.log" 2>&1
	grep -q 'took more than 48 preemptions' "$work/long.log" || continue
	overflowed=$((overflowed + 1))
	sed -n '/^==mmfuzz== scenario/,/^==mmfuzz== end of scenario/p' "$work/long.log" | sed '1d;$d' \
		>"$work/long-report.sched"
	if ! grep -q '^==mmfuzz== FINDING lost-write' "$work/long.log" ||
		! build/mmfuzz replay "$work/long-report.sched" 2>&1 | grep -q 'lost-write'; then
		cat "$work/long.log"
		echo "fuzz-smoke: a finding past 48 preemptions (store $v) was not reported replayably: 4 passed, 1 failed"
		exit 1
	fi
done
if [ $overflowed = 0 ]; then
	echo "fuzz-smoke: no long schedule overflowed: the test no longer tests its case: 4 passed, 1 failed"
	exit 1
fi
echo "fuzz-smoke: $overflowed findings past 48 preemptions, each reported with a schedule that replays"
if ! build/fuzz/scenario_fuzzer -max_total_time=30 -seed=1 "$work/scn" >"$work/scn.log" 2>&1; then
	tail -30 "$work/scn.log"
	echo "fuzz-smoke: scenario_fuzzer failed: 5 passed, 1 failed"
	exit 1
fi
echo "fuzz-smoke: 6 passed, 0 failed"
