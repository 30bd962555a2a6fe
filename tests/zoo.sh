#!/bin/sh
# mmfuzz zoo, tiny: two knobs and one family with in-process strategies only
# (the engines run in `make zoo`): the TSV has its header and one row per knob x
# strategy and family x strategy, both knobs are found, the family is clean,
# exit 0; a knob without a regression is "no scenario" for in-process strategies
# (exit 1, not a crash); an unknown strategy is an error (exit 2); zoo-chart draws
# well-formed SVG from the TSV and rejects a bad one with file:line (exit 2).
set -u
bin=${1:-build/mmfuzz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "zoo: $*" >&2; exit 1; }
knobs=zap-rmap-before-flush,munmap-unlock-before-flush
"$bin" zoo --strategies pct3,dfs2 --knobs=$knobs --families=zap-writeback \
	--seconds-per-knob 0.3 --seeds 2 --tsv >"$tmp/zoo.tsv" 2>"$tmp/err"
rc=$?
[ $rc = 0 ] || { cat "$tmp/err" >&2; fail "tiny zoo: exit $rc, expected 0"; }
printf 'part\tsubject\tstrategy\tseeds\tfound\tmedian_runs\tmedian_seconds\tbudget_seconds\tstart\toracles\tstatus\tper_seed\n' >"$tmp/header"
head -n 1 "$tmp/zoo.tsv" | cmp -s - "$tmp/header" || fail "TSV header differs"
[ "$(wc -l <"$tmp/zoo.tsv")" = 7 ] || fail "expected 4 knob rows and 2 clean rows"
for k in zap-rmap-before-flush munmap-unlock-before-flush; do
	awk -F'\t' -v k=$k '$1 == "knob" && $2 == k && $3 == "pct3" && $4 == 2 && $5 == 2 &&
		$6 ~ /^[0-9]+$/ && $9 == k && $11 == "ok" {ok = 1} END {exit !ok}' "$tmp/zoo.tsv" ||
		fail "$k: pct3 did not find it in 2 of 2 seeds from its regression"
done
awk -F'\t' '$1 == "clean" && $2 == "zap-writeback" && $5 == 0 && $11 == "ok" {n++}
	END {exit n != 2}' "$tmp/zoo.tsv" || fail "the clean rows are not clean"
grep -q '^verdict: PASS' "$tmp/err" || fail "no PASS verdict on the terminal"
grep -q '^zap-rmap-before-flush  *2/2 ' "$tmp/err" || fail "the table has no 2/2 cell"

mkdir "$tmp/noreg"
"$bin" zoo --strategies pct3 --knobs=zap-rmap-before-flush --families= --regressions "$tmp/noreg" \
	--seconds-per-knob 0.1 --tsv >"$tmp/noreg.tsv" 2>"$tmp/err"
rc=$?
[ $rc = 1 ] || fail "knob without a regression: exit $rc, expected 1"
awk -F'\t' '$1 == "knob" && $11 == "no-scenario" && $5 == 0 {ok = 1} END {exit !ok}' \
	"$tmp/noreg.tsv" || fail "knob without a regression: no no-scenario row"
grep -q 'no scenario' "$tmp/err" || fail "knob without a regression: table says nothing"

"$bin" zoo --strategies pct3,bogus --knobs=zap-rmap-before-flush >/dev/null 2>"$tmp/err"
rc=$?
[ $rc = 2 ] || fail "unknown strategy: exit $rc, expected 2"
grep -q "error: unknown strategy 'bogus'" "$tmp/err" || fail "unknown strategy: no message"
"$bin" zoo --seeds 0 >/dev/null 2>&1
[ $? = 2 ] || fail "--seeds 0: expected exit 2"

"$bin" zoo-chart "$tmp/zoo.tsv" -o "$tmp/zoo.svg" || fail "zoo-chart: exit $?"
xmllint --noout "$tmp/zoo.svg" || fail "zoo-chart: SVG is not well-formed"
grep -q '>munmap-unlock-before-flush<' "$tmp/zoo.svg" || fail "zoo-chart: a knob is missing"
printf 'part\tsubject\tstrategy\tseeds\tfound\tmedian_runs\tmedian_seconds\tbudget_seconds\tstart\toracles\tstatus\tper_seed\nknob\tx\tpct3\t1\t1\t5\tfast\t1\t-\t-\tok\t5/0.1\n' >"$tmp/bad.tsv"
"$bin" zoo-chart "$tmp/bad.tsv" -o "$tmp/bad.svg" 2>"$tmp/err"
[ $? = 2 ] || fail "zoo-chart, bad TSV: expected exit 2"
grep -q 'bad.tsv:2:' "$tmp/err" || fail "zoo-chart, bad TSV: no file:line message"
echo "zoo: tiny run, TSV, no-scenario, bad strategy, chart: 1 passed, 0 failed"
