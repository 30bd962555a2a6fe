#!/bin/sh
# Fuzzing engine benchmark, ratios side by side in one run.  Usage:
#   bench/fuzzing.sh [BUILD_DIR]        (needs `make`, `make fuzz`, `make afl`)
# Environment: BUDGET seconds per try (default 30), SEEDS (default "1 2 3"),
# EMPTY_BUDGET (default 60), PARTS (default "rate knobs empty"), KNOBS (default:
# every knob with a regression).  Everything runs
# under nice, two tries at a time.  Tables:
#
#   rate   executions/s of the harness alone (LLVMFuzzerTestOneInput over the seeds,
#          no engine), of libFuzzer and of AFL++ (both seeded from corpus/, knob off)
#   knobs  per knob, seconds and inputs to the first finding, median over SEEDS:
#          libFuzzer seeded from corpus/ with full interleaving feedback
#          (MMFUZZ_FEEDBACK=all) vs code coverage only (none), and PCT depth 3 over
#          the knob's regression scenario (`mmfuzz explore --strategy pct --depth 3`:
#          runs, and it is given the scenario, the fuzzers have to find it)
#   empty  from an empty corpus, knob zap-rmap-before-flush: seconds to the
#          finding per seed, structure-aware mutator vs libFuzzer's bytes alone
# "none": not found within the budget.  A median with a "none" among the tries
# counts it as infinite.
set -u
B=${1:-build}
BUDGET=${BUDGET:-30}
EMPTY_BUDGET=${EMPTY_BUDGET:-60}
SEEDS=${SEEDS:-1 2 3}
PARTS=${PARTS:-rate knobs empty}
KNOBS=${KNOBS:-$(for f in regressions/*.sched; do basename "$f" .sched; done)}
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
# median of numbers, "none" as infinity
median() {
	sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "none"; exit}
		m=a[int((NR+1)/2)]; print m}' | sed 's/^inf$/none/'
}

# lf TAG SEED BUDGET CORPUS_INIT KNOB ENV...: prints "SECONDS INPUTS" or "inf inf"
lf() {
	tag=$1 seed=$2 budget=$3 init=$4 knob=$5
	shift 5
	d=$tmp/$tag-$seed
	rm -rf "$d" && mkdir -p "$d/c"
	[ "$init" = seeds ] && cp "$tmp"/seeds/* "$d/c/"
	t0=$(now)
	env "$@" MMFUZZ_KNOBS="$knob" nice "$LF" -max_total_time="$budget" -seed="$seed" \
		-dict="$DICT" -artifact_prefix="$d/" "$d/c" >"$d/log" 2>&1
	t1=$(now)
	if grep -q "==mmfuzz== FINDING" "$d/log"; then
		inputs=$(grep -E '^#[0-9]+' "$d/log" | tail -n 1 | sed 's/^#\([0-9]*\).*/\1/')
		printf '%.2f %s\n' "$(echo "$t1 - $t0" | bc)" "${inputs:-0}" >"$d/result"
	else
		echo "inf inf" >"$d/result"
	fi
}

if echo "$PARTS" | grep -q rate; then
	echo "== executions/s (seeded from corpus/, every knob off)"
	n=0
	set --
	for i in $(seq 400); do set -- "$@" "$tmp"/seeds/*; done
	t0=$(now)
	nice "$B/harness/mm_fuzzer_afl" "$@" || exit 1
	t1=$(now)
	alone=$(echo "$# / ($t1 - $t0)" | bc)
	lf rate 1 20 seeds "" &
	d=$tmp/afl-rate
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
		AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/mmfuzz_mutator.so \
		nice afl-fuzz -V 20 -t 2000 -s 1 -x build/afl/mm_fuzzer.dict -i "$tmp/seeds" -o "$d" \
		-- build/afl/mm_fuzzer_afl >"$tmp/afl-rate.log" 2>&1
	wait
	lfrate=$(grep -E '^#[0-9]+.*DONE' "$tmp/rate-1/log" | sed 's/.*exec\/s: \([0-9]*\).*/\1/')
	aflrate=$(sed -n 's/^execs_per_sec *: *//p' "$d"/*/fuzzer_stats | cut -d. -f1)
	printf '%-22s %10s %8s\n' engine "execs/s" "ratio"
	printf '%-22s %10s %8s\n' "harness alone" "$alone" 1.00
	printf '%-22s %10s %8s\n' libFuzzer "$lfrate" "$(echo "scale=2; $lfrate / $alone" | bc)"
	printf '%-22s %10s %8s\n' "AFL++ (persistent)" "$aflrate" \
		"$(echo "scale=2; $aflrate / $alone" | bc)"
	echo "(one execution = the input's schedule + 2 random schedules of its scenario)"
	echo
fi

if echo "$PARTS" | grep -q knobs; then
	echo "== first finding per knob: median seconds / inputs over seeds $SEEDS (budget ${BUDGET} s)"
	printf '%-28s %-20s %-20s %-18s\n' knob "libFuzzer full fb" "coverage only" "PCT d=3 (runs, s)"
	for knob in $KNOBS; do
		f=regressions/$knob.sched
		for seed in $SEEDS; do
			lf full "$seed" "$BUDGET" seeds "$knob" MMFUZZ_FEEDBACK=all &
			lf cov "$seed" "$BUDGET" seeds "$knob" MMFUZZ_FEEDBACK=none
			wait
		done
		cols=""
		for tag in full cov; do
			s=$(for seed in $SEEDS; do cut -d' ' -f1 "$tmp/$tag-$seed/result"; done | median)
			i=$(for seed in $SEEDS; do cut -d' ' -f2 "$tmp/$tag-$seed/result"; done | median)
			found=$(for seed in $SEEDS; do cat "$tmp/$tag-$seed/result"; done | grep -vc inf)
			cols="$cols$(printf '%-20s ' "$s/$i ($found/$(echo $SEEDS | wc -w))")"
		done
		pr=""
		ps=""
		for seed in $SEEDS; do
			out=$(cd "$tmp" && nice "$OLDPWD/$B/mmfuzz" explore "$OLDPWD/$f" --strategy pct \
				--depth 3 --seed "$seed" --runs 2000000 -o pct.sched 2>/dev/null | head -n 1)
			r=$(echo "$out" | sed -n 's/.*first finding at run \([0-9]*\) (\([0-9.]*\) s).*/\1 \2/p')
			[ -n "$r" ] || r="inf inf"
			pr="$pr ${r% *}"
			ps="$ps ${r#* }"
		done
		pct="$(echo "$pr" | tr ' ' '\n' | grep . | median), $(echo "$ps" | tr ' ' '\n' | grep . | median)"
		printf '%-28s %s%-18s\n' "$knob" "$cols" "$pct"
	done
	echo "(seconds/inputs (tries that found it); inputs = libFuzzer's count at the finding)"
	echo
fi

if echo "$PARTS" | grep -q empty; then
	echo "== empty corpus, zap-rmap-before-flush, budget ${EMPTY_BUDGET} s: seconds to the finding"
	printf '%-6s %-22s %-22s\n' seed "structure-aware" "bytes only"
	for seed in $SEEDS; do
		lf es "$seed" "$EMPTY_BUDGET" empty zap-rmap-before-flush &
		lf eb "$seed" "$EMPTY_BUDGET" empty zap-rmap-before-flush MMFUZZ_MUTATOR=bytes
		wait
		printf '%-6s %-22s %-22s\n' "$seed" "$(sed 's/^inf inf$/none/' "$tmp/es-$seed/result")" \
			"$(sed 's/^inf inf$/none/' "$tmp/eb-$seed/result")"
	done
	echo "(seconds inputs)"
fi
