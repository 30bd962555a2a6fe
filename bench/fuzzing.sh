#!/bin/sh
# Fuzzing engine throughput, ratios side by side in one run.  Usage:
#   bench/fuzzing.sh [BUILD_DIR]        (needs `make`, `make fuzz`, `make afl`)
# Executions/s of the harness alone (LLVMFuzzerTestOneInput over the seeds, no
# engine), of libFuzzer and of AFL++ (both seeded from corpus/, knob off), under
# nice, the two engines at the same time.  Time to the first finding per knob,
# interleaving feedback vs code coverage vs PCT: bench/feedback.sh.
set -u
B=${1:-build}
LF=build/fuzz/mm_fuzzer
DICT=build/fuzz/mm_fuzzer.dict
for bin in "$LF" build/afl/mm_fuzzer_afl build/afl/mmfuzz_mutator.so "$B/harness/mm_fuzzer_afl"; do
	if [ ! -e "$bin" ]; then
		echo "skipped: $bin is missing (make fuzz afl $B/harness/mm_fuzzer_afl); takes ~15 min"
		exit 0
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/seeds"
for f in corpus/*.sched; do
	"$B/mmfuzz" encode "$f" -o "$tmp/seeds/$(basename "$f" .sched).bin" || exit 1
done

now() { date +%s.%N; }

echo "== executions/s (seeded from corpus/, every knob off)"
set --
for i in $(seq 400); do set -- "$@" "$tmp"/seeds/*; done
t0=$(now)
nice "$B/harness/mm_fuzzer_afl" "$@" || exit 1
t1=$(now)
alone=$(echo "$# / ($t1 - $t0)" | bc)
mkdir "$tmp/lf"
cp "$tmp"/seeds/* "$tmp/lf/"
nice "$LF" -max_total_time=20 -seed=1 -dict="$DICT" "$tmp/lf" >"$tmp/lf.log" 2>&1 &
d=$tmp/afl-rate
AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
	AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/mmfuzz_mutator.so \
	nice afl-fuzz -V 20 -t 2000 -s 1 -x build/afl/mm_fuzzer.dict -i "$tmp/seeds" -o "$d" \
	-- build/afl/mm_fuzzer_afl >"$tmp/afl-rate.log" 2>&1
wait
lfrate=$(grep -E '^#[0-9]+.*DONE' "$tmp/lf.log" | sed 's/.*exec\/s: \([0-9]*\).*/\1/')
aflrate=$(sed -n 's/^execs_per_sec *: *//p' "$d"/*/fuzzer_stats | cut -d. -f1)
printf '%-22s %10s %8s\n' engine "execs/s" "ratio"
printf '%-22s %10s %8s\n' "harness alone" "$alone" 1.00
printf '%-22s %10s %8s\n' libFuzzer "$lfrate" "$(echo "scale=2; $lfrate / $alone" | bc)"
printf '%-22s %10s %8s\n' "AFL++ (persistent)" "$aflrate" \
	"$(echo "scale=2; $aflrate / $alone" | bc)"
echo "(one execution = the input's schedule + 2 random schedules of its scenario)"
echo
