#!/bin/sh
# Fuzzing engine throughput against the harness alone on the same inputs, ratios
# side by side in one run.  Usage:
#   bench/fuzzing.sh [BUILD_DIR]    (needs `make`, `make fuzz`, `make afl`, BUILD_DIR/harness/mm_fuzzer_afl;
#   LF, AFL_TARGET, AFL_MUTATOR name other builds of the engines' targets)
# Seeded from corpus/, every knob off, full interleaving feedback:
#   libFuzzer  LF_RUNS inputs (default 20000) with the harness's own options;
#   AFL++      AFL_SECONDS seconds (default 20), persistent mode, custom mutator,
#              3 calibration runs per new entry (AFL_FAST_CAL, as campaigns and
#              the zoo run it: tools/engine.h), bound to a core (AFL++'s default;
#              without it every execution waits for a wake-up on the other core
#              of this shared machine);
#   harness alone (no engine, no instrumentation, -O2) over the inputs each engine
#              kept (libFuzzer's corpus, AFL++'s queue), 5 passes: the same inputs.
# Rates are inputs per CPU second (libFuzzer and the harness: user+sys of the
# process; AFL++: perf stat task-clock of afl-fuzz and its target together), so
# the other users of a shared machine do not skew them; engines run one at a time.
# One input = its own schedule + the schedule search of its scenario (2-16 runs,
# by novelty: fuzz/schedule_search.h), so an input's cost depends on what the
# process saw before — the harness alone, a fresh process, runs every input's
# scenario as new.  The fair ratio is therefore on model runs per CPU second
# (counted by the harness itself, MMFUZZ_RUNS_FILE), printed next to the inputs'.
# A second table splits each ratio in two: the engine's own target binary run
# over the same inputs without the engine (what coverage instrumentation costs),
# and the engine against that (its bookkeeping, the persistent loop, the files it
# writes: every input an engine keeps is a file created under TMPDIR, which the
# line under the first table names).
# Executions to a finding per knob: bench/feedback.sh.
set -u
B=${1:-build}
LF=${LF:-build/fuzz/mm_fuzzer}
LF_RUNS=${LF_RUNS:-20000}
AFL_SECONDS=${AFL_SECONDS:-20}
AFL_TARGET=${AFL_TARGET:-build/afl/mm_fuzzer_afl}
AFL_MUTATOR=${AFL_MUTATOR:-build/afl/mmfuzz_mutator.so}
H=$B/harness/mm_fuzzer_afl
for bin in "$LF" "$AFL_TARGET" "$AFL_MUTATOR" "$H"; do
	if [ ! -e "$bin" ]; then
		echo "skipped: $bin is missing (make fuzz afl $H); takes ~2 min"
		exit 0
	fi
done
command -v perf >/dev/null || { echo "skipped: needs perf (linux-perf) for AFL++'s CPU time" && exit 0; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/seeds" "$tmp/lf"
for f in corpus/*.sched; do
	"$B/mmfuzz" encode "$f" -o "$tmp/seeds/$(basename "$f" .sched).bin" >/dev/null || exit 1
done
cp "$tmp"/seeds/* "$tmp/lf/"

# cpu FILE: seconds of user+sys written by /usr/bin/time -f '%U %S' (its last line:
# GNU time puts "Command exited with non-zero status N" before it)
cpu() { tail -n 1 "$1" | awk '{ print $1 + $2 }'; }
# runs FILE: the model runs a MMFUZZ_RUNS_FILE counted (its first 8 bytes)
runs() { od -An -t u8 -N 8 "$1" | tr -d ' '; }
# alone [BIN]: inputs and model runs per CPU second of BIN (default: the harness
# alone) run over $dir's files, 5 passes, no engine
alone() {
	: >"$tmp/inputs"
	for pass in 1 2 3 4 5; do
		find "$dir" -maxdepth 1 -type f >>"$tmp/inputs"
	done
	rm -f "$tmp/alone.runs"
	MMFUZZ_RUNS_FILE=$tmp/alone.runs /usr/bin/time -f '%U %S' -o "$tmp/alone.time" \
		xargs "${1:-$H}" <"$tmp/inputs" >/dev/null 2>&1 || exit 1
	echo "$(wc -l <"$tmp/inputs") $(runs "$tmp/alone.runs") $(cpu "$tmp/alone.time")" |
		awk '{ printf "%d %d", $1 / $3, $2 / $3 }'
}

MMFUZZ_RUNS_FILE=$tmp/lf.runs /usr/bin/time -f '%U %S' -o "$tmp/lf.time" "$LF" -runs="$LF_RUNS" -seed=1 \
	-print_final_stats=1 -artifact_prefix="$tmp/" -dict=build/fuzz/mm_fuzzer.dict "$tmp/lf" \
	>"$tmp/lf.log" 2>&1
lf_rc=$?
# A finding ends libFuzzer early: the rate is over the inputs it ran, and the
# finding is reported and the script exits 1 (with every knob off, the default,
# it is a model or oracle bug).
lf_inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/lf.log")
lf_inputs=${lf_inputs:-$LF_RUNS}
found=0
if [ "$lf_rc" -ne 0 ]; then
	found=1
	echo "libFuzzer stopped at a finding after $lf_inputs inputs (exit $lf_rc), knobs: ${MMFUZZ_KNOBS:-none}:" >&2
	grep -E '^==mmfuzz== FINDING|Test unit written' "$tmp/lf.log" | head -n 5 >&2
	for c in "$tmp"/crash-*; do
		[ -e "$c" ] || continue
		keep=$(basename "$c")
		cp "$c" "./fuzzing-bench-$keep" && echo "  input kept in ./fuzzing-bench-$keep" >&2
	done
	# the scenario with the schedule that found it (often one of the search's)
	sed -n '/^mmfuzz-sched/,/^==mmfuzz== end of scenario/p' "$tmp/lf.log" | sed '$d' \
		>fuzzing-bench-finding.sched &&
		echo "  mmfuzz replay fuzzing-bench-finding.sched  (mmfuzz minimize --knobs= it)" >&2
fi
lf=$(echo "$lf_inputs $(cpu "$tmp/lf.time")" | awk '{ printf "%d", $1 / $2 }')
lf_model=$(echo "$(runs "$tmp/lf.runs") $(cpu "$tmp/lf.time")" | awk '{ printf "%d", $1 / $2 }')
lf_ft=$(grep -E '^#[0-9]+.*DONE' "$tmp/lf.log" | sed 's/.*ft: \([0-9]*\).*corp: \([0-9]*\).*/\1 features, \2 inputs kept/')
dir=$tmp/lf
set -- $(alone)
lf_alone=$1 lf_alone_model=$2
set -- $(alone "$LF")
lf_instr_model=$2

d=$tmp/afl
MMFUZZ_RUNS_FILE=$tmp/afl.runs AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 \
	AFL_FAST_CAL=1 AFL_CUSTOM_MUTATOR_ONLY=1 AFL_CUSTOM_MUTATOR_LIBRARY="$AFL_MUTATOR" \
	perf stat -x, -e task-clock -o "$tmp/afl.perf" afl-fuzz -V "$AFL_SECONDS" -t 2000 -s 1 \
	-x build/afl/mm_fuzzer.dict -i "$tmp/seeds" -o "$d" -- "$AFL_TARGET" \
	>"$tmp/afl.log" 2>&1
afl_execs=$(sed -n 's/^execs_done *: *//p' "$d"/*/fuzzer_stats)
afl_cpu=$(grep task-clock "$tmp/afl.perf" | cut -d, -f1 | awk '{ print $1 / 1000 }')
afl=$(echo "$afl_execs $afl_cpu" | awk '{ printf "%d", ($2 > 0 ? $1 / $2 : 0) }')
afl_model=$(echo "$(runs "$tmp/afl.runs") $afl_cpu" | awk '{ printf "%d", ($2 > 0 ? $1 / $2 : 0) }')
afl_wall=$(sed -n 's/^execs_per_sec *: *//p' "$d"/*/fuzzer_stats | cut -d. -f1)
dir=$d/default/queue
set -- $(alone)
afl_alone=$1 afl_alone_model=$2
set -- $(alone "$AFL_TARGET")
afl_instr_model=$2

ratio() { echo "$1 $2" | awk '{ printf "%.2f", ($2 > 0 ? $1 / $2 : 0) }'; }
lf_ratio=$(ratio "$lf" "$lf_alone")
afl_ratio=$(ratio "$afl" "$afl_alone")
lf_mratio=$(ratio "$lf_model" "$lf_alone_model")
afl_mratio=$(ratio "$afl_model" "$afl_alone_model")
printf '%-30s %12s %12s %6s %13s %13s %6s\n' engine "inputs/cpu-s" "alone, same" ratio \
	"model runs/s" "alone, same" ratio
printf '%-30s %12s %12s %6s %13s %13s %6s\n' "libFuzzer ($lf_inputs inputs)" "$lf" "$lf_alone" \
	"$lf_ratio" "$lf_model" "$lf_alone_model" "$lf_mratio"
printf '%-30s %12s %12s %6s %13s %13s %6s\n' "AFL++ persistent (${AFL_SECONDS} s)" "$afl" \
	"$afl_alone" "$afl_ratio" "$afl_model" "$afl_alone_model" "$afl_mratio"
echo "(libFuzzer: $lf_ft; AFL++: $afl_wall inputs/s by the wall clock; rates per CPU second;" \
	"work files on $(df -T "$tmp" | awk 'NR == 2 { print $2 }'): TMPDIR)"
# The ratio in two factors: the engine's own target binary run over the same
# inputs without the engine (coverage instrumentation, no bookkeeping), then the
# engine against that.
printf '%-30s %22s %9s %20s\n' "where the time goes" "instrumented, no engine" "vs alone" \
	"engine vs instrumented"
printf '%-30s %22s %9s %20s\n' libFuzzer "$lf_instr_model" "$(ratio "$lf_instr_model" "$lf_alone_model")" \
	"$(ratio "$lf_model" "$lf_instr_model")"
printf '%-30s %22s %9s %20s\n' AFL++ "$afl_instr_model" "$(ratio "$afl_instr_model" "$afl_alone_model")" \
	"$(ratio "$afl_model" "$afl_instr_model")"
echo "summary: libFuzzer/harness $lf_mratio, AFL++/harness $afl_mratio (model runs per CPU second;" \
	"inputs: $lf_ratio, $afl_ratio)"
exit "$found"
