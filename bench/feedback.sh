#!/bin/sh
# Does interleaving feedback find races sooner?  Side by side in one run, per knob:
# libFuzzer with full interleaving feedback (MMFUZZ_FEEDBACK=all) vs code coverage
# only (MMFUZZ_FEEDBACK=none) vs PCT depth 3 (`mmfuzz explore --strategy pct
# --depth 3`), the same budget of model executions each, medians over SEEDS.
# Usage:
#   bench/feedback.sh [BUILD_DIR]        (needs `make` and `make fuzz`)
#   bench/feedback.sh --table TSV        the table of an earlier run's tries
# Environment:
#   SEEDS    seeds per cell (default "1 2 3 4 5")
#   EXECS    budget per try in model executions (default 300000; libFuzzer gets
#            EXECS / (1 + random runs) inputs)
#   SECONDS_MAX  wall-clock cap per try (default 120; a capped try counts as not found)
#   KNOBS    (default: every knob with a regression)
#   STARTS   (default "stripped corpus"):
#            stripped  the knob's regression scenario with its schedule stripped,
#                      the one seed; MMFUZZ_RANDOM_RUNS=0, so every schedule run
#                      is one the fuzzer wrote: the search the feedback is for.
#                      PCT searches the schedules of the same scenario.
#            corpus    the families of corpus/ as seeds, the harness as campaigns
#                      run it (2 random schedules per input besides its own).
#                      PCT is still given the knob's scenario (its row of
#                      "stripped"), the fuzzers have to find one.
#            empty     no seed at all (no PCT: it needs a scenario)
#   TSV      where the tries go (default build/feedback.tsv), one line each:
#            knob start method seed found execs inputs seconds corpus
# Medians are of the middle try (the lower middle for an even count), a try
# that did not find counting as infinite: "none" when that one did not find.  Ratios are of median executions
# (coverage/full, PCT/full: above 1, full feedback needed fewer).  Runs under
# nice, one try at a time (one core); about an hour with the defaults.
set -u
B=${1:-build}
SEEDS=${SEEDS:-1 2 3 4 5}
EXECS=${EXECS:-300000}
SECONDS_MAX=${SECONDS_MAX:-120}
STARTS=${STARTS:-stripped corpus}
KNOBS=${KNOBS:-$(for f in regressions/*.sched; do basename "$f" .sched; done)}
TSV=${TSV:-build/feedback.tsv}
LF=${LF:-build/fuzz/mm_fuzzer}
DICT=build/fuzz/mm_fuzzer.dict
# table TSV: per knob and start, median executions (found/tries) and seconds.
table() {
	awk -F'\t' -v execs="$EXECS" '
NR == 1 { next }
{
	key = $1 "\t" $2 "\t" $3
	n[key]++
	found[key] += $5
	e[key, n[key]] = $5 ? $6 : "inf"
	s[key, n[key]] = $5 ? $8 : "inf"
	if ($3 != "pct" && !(($1 "\t" $2) in rowseen)) { rowseen[$1 "\t" $2] = 1; rows[++nrows] = $1 "\t" $2 }
}
function median(arr, key, cnt,    i, j, t, v) {
	for (i = 1; i <= cnt; i++) v[i] = arr[key, i]
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++)
		if ((v[j] == "inf" ? 1e300 : v[j] + 0) < (v[i] == "inf" ? 1e300 : v[i] + 0)) { t = v[i]; v[i] = v[j]; v[j] = t }
	return v[int((cnt + 1) / 2)]
}
function cell(key,    m, t) {
	if (!(key in n)) return "-"
	m = median(e, key, n[key]); t = median(s, key, n[key])
	if (m == "inf") return sprintf("none (%d/%d)", found[key], n[key])
	return sprintf("%d (%d/%d) %ss", m, found[key], n[key], t)
}
function ratio(a, b,    x, y) {
	if (!(a in n) || !(b in n)) return "-"
	x = median(e, a, n[a]); y = median(e, b, n[b])
	if (y == "inf") return "-"
	if (x == "inf") return sprintf(">%.1f", execs / (y ? y : 1))
	x = x ? x : 1; y = y ? y : 1
	return x / y < 0.1 ? sprintf("1/%.0f", y / x) : sprintf(x / y < 10 ? "%.1f" : "%.0f", x / y)
}
END {
	printf "%-32s %-9s %-26s %-26s %-9s %-26s %s\n", "knob", "start", "full feedback", "coverage only", "cov/full", "PCT d=3 (given the scenario)", "pct/full"
	for (r = 1; r <= nrows; r++) {
		split(rows[r], k, "\t")
		full = rows[r] "\tfull"; cov = rows[r] "\tcov"; p = k[1] "\tstripped\tpct"
		printf "%-32s %-9s %-26s %-26s %-9s %-26s %s\n", k[1], k[2], cell(full), cell(cov), ratio(cov, full), cell(p), ratio(p, full)
	}
	printf "(median model executions to the first finding (tries that found it), median seconds; budget %d)\n", execs
}' "$1"
}

if [ "$B" = --table ]; then
	[ -f "${2:-}" ] || { echo "usage: bench/feedback.sh --table TSV" >&2 && exit 2; }
	table "$2"
	exit 0
fi
for bin in "$LF" "$B/mmfuzz"; do
	if [ ! -x "$bin" ]; then
		echo "skipped: $bin is missing (make; make fuzz)"
		exit 0
	fi
done
for start in $STARTS; do
	case $start in
	stripped | corpus | empty) ;;
	*)
		echo "bench/feedback.sh: STARTS: '$start' is not stripped, corpus or empty" >&2
		exit 2
		;;
	esac
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/corpus"
for f in corpus/*.sched; do
	"$B/mmfuzz" encode "$f" -o "$tmp/corpus/$(basename "$f" .sched).bin" >/dev/null || exit 1
done
now() { date +%s.%N; }
printf 'knob\tstart\tmethod\tseed\tfound\texecs\tinputs\tseconds\tcorpus\n' >"$TSV"

# lf KNOB START METHOD SEED: one libFuzzer try, one TSV line
lf() {
	knob=$1 start=$2 method=$3 seed=$4
	d=$tmp/try
	rm -rf "$d" && mkdir -p "$d/c"
	case $start in
	stripped) cp "$tmp/stripped.bin" "$d/c/" && rr=0 ;;
	corpus) cp "$tmp"/corpus/* "$d/c/" && rr=2 ;;
	empty) rr=2 ;;
	esac
	fb=all
	[ "$method" = cov ] && fb=none
	t0=$(now)
	MMFUZZ_FEEDBACK=$fb MMFUZZ_RANDOM_RUNS=$rr MMFUZZ_KNOBS=$knob nice "$LF" \
		-runs=$((EXECS / (1 + rr))) -max_total_time="$SECONDS_MAX" -seed="$seed" \
		-print_final_stats=1 -dict="$DICT" -artifact_prefix="$d/" "$d/c" >"$d/log" 2>&1
	t1=$(now)
	inputs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$d/log")
	corpus=$(ls "$d/c" | wc -l)
	found=0
	grep -q "==mmfuzz== FINDING" "$d/log" && found=1
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\n' "$knob" "$start" "$method" "$seed" "$found" \
		$((${inputs:-0} * (1 + rr))) "${inputs:-0}" "$(echo "$t1 - $t0" | bc)" "$corpus" >>"$TSV"
}

# pct KNOB SEED: PCT d=3 over the stripped scenario, one TSV line
pct() {
	knob=$1 seed=$2
	t0=$(now)
	out=$(timeout "$SECONDS_MAX" nice "$B/mmfuzz" explore "$tmp/stripped.sched" --strategy pct \
		--depth 3 --seed "$seed" --runs "$EXECS" -o "$tmp/pct.sched" 2>/dev/null | head -n 1)
	t1=$(now)
	runs=$(echo "$out" | sed -n 's/.*first finding at run \([0-9]*\) .*/\1/p')
	found=1
	[ -n "$runs" ] || { found=0 && runs=$(echo "$out" | sed -n 's/^pct: \([0-9]*\) runs.*/\1/p'); }
	printf '%s\tstripped\tpct\t%s\t%s\t%s\t-\t%.2f\t-\n' "$knob" "$seed" "$found" "${runs:-0}" \
		"$(echo "$t1 - $t0" | bc)" >>"$TSV"
}

for knob in $KNOBS; do
	f=regressions/$knob.sched
	[ -f "$f" ] || { echo "bench/feedback.sh: no $f" >&2 && exit 2; }
	sed '/^schedule/,$d' "$f" >"$tmp/stripped.sched"
	"$B/mmfuzz" encode "$tmp/stripped.sched" -o "$tmp/stripped.bin" >/dev/null || exit 1
	for seed in $SEEDS; do
		for start in $STARTS; do
			lf "$knob" "$start" full "$seed"
			lf "$knob" "$start" cov "$seed"
		done
		pct "$knob" "$seed"
	done
	echo "$knob: $(grep -c "^$knob	" "$TSV") tries" >&2
done

table "$TSV"
echo "tries: $TSV"
