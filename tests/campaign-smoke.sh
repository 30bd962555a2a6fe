#!/bin/sh
# Campaign smoke test (CI; needs `make` and `make fuzz`).  Run from another
# directory than the repository root, `mmfuzz campaign` with libFuzzer (fork mode,
# one job) and the zap knob must:
#   - say where it seeds from (the repository's corpus/, found next to the binary);
#   - write at least one lost-write finding (the knob's); every finding's
#     finding.sched, minimized.sched and input (binary, folded) all replay to its
#     oracle, with one signature — the directory's name — for the finding and its
#     minimized form.  A finding of another oracle that also fires with every
#     knob off is an oracle false positive: it is printed as such (a lead for
#     tests/clean/), not failed on, because whether 30 s of libFuzzer reaches one
#     depends on the machine's speed (two CI runs on 2026-12-03 each reached one
#     that no local run could reproduce);
#   - list each finding in summary.txt with its replay command;
#   - resume on the same DIR: the corpus reduced, the findings still listed;
#   - refuse an --out whose corpus would be the source corpus (or inside it), and
#     a bad MMFUZZ_FAMILY_SHARE before any worker starts;
#   - on SIGHUP, stop every worker, process the crashes and write the summary.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/build/mmfuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "campaign-smoke: FAIL: $*"; }
knob=zap-rmap-before-flush

"$bin" campaign --engine libfuzzer --jobs 1 --seconds 30 --out "$work/c" --knobs=$knob >"$work/log" 2>&1
grep -q "seeding from $repo/corpus (" "$work/log" && ok || no "does not say it seeds from $repo/corpus"
n=$(ls "$work/c/findings" | grep -vc '\.tmp$')
[ "$n" -ge 1 ] && ok || { tr '\r' '\n' <"$work/log" | tail -5; no "no finding"; }
lost=0
for d in "$work"/c/findings/*; do
	sig=$(basename "$d")
	oracle=$(awk -v s="$sig" '$1 == s {print $2}' "$work/c/summary.txt")
	[ -n "$oracle" ] && grep -q "replay: .*$sig/finding.sched" "$work/c/summary.txt" &&
		ok || no "$sig: not in summary.txt"
	[ "$oracle" = lost-write ] && lost=$((lost + 1))
	a=$("$bin" replay "$d/finding.sched" | awk '/signature:/{print $2}')
	b=$("$bin" replay --strict "$d/minimized.sched" | awk '/signature:/{print $2}')
	"$bin" replay "$d/finding.sched" | grep -q "FINDING $oracle\$" && ok || no "$sig: finding.sched"
	[ "$a" = "$sig" ] && [ "$b" = "$sig" ] && ok || no "$sig: finding $a, minimized $b"
	"$bin" replay --knobs=$knob "$d/input" | grep -q "FINDING $oracle\$" && ok || no "$sig: input does not replay"
	"$bin" minimize --knobs=$knob "$d/input" -o "$work/m.sched" >/dev/null && ok || no "$sig: input does not minimize"
	if [ "$oracle" != lost-write ] && "$bin" replay --knobs= "$d/finding.sched" | grep -q "^FINDING"; then
		echo "campaign-smoke: FALSE POSITIVE of the oracle layer ($oracle, with every knob off):"
		sed 's/^/  /' "$d/finding.sched"
	fi
done
[ "$lost" -ge 1 ] && ok || no "no lost-write finding (the knob's)"

corpus=$(ls "$work/c/corpus" | wc -l)
"$bin" campaign --engine libfuzzer --jobs 1 --seconds 5 --out "$work/c" --knobs=$knob >"$work/log2" 2>&1
grep -q "corpus reduced from $corpus to" "$work/log2" && ok || no "resume: corpus not reduced: $(grep corpus "$work/log2" | head -2)"
for d in "$work"/c/findings/*; do
	grep -q "^$(basename "$d") " "$work/c/summary.txt" && ok || no "resume: $(basename "$d") not listed"
done

"$bin" campaign --engine libfuzzer --jobs 1 --seconds 5 --out "$repo" >"$work/log3" 2>&1
[ $? = 2 ] && grep -q "seed corpus" "$work/log3" && ok || no "--out the repository (its corpus/ is the seeds) not refused"
"$bin" campaign --engine libfuzzer --jobs 1 --seconds 5 --out "$repo/corpus/x" >"$work/log3" 2>&1
[ $? = 2 ] && [ ! -e "$repo/corpus/x" ] && ok || { no "--out inside corpus/ not refused"; rm -rf "$repo/corpus/x"; }
MMFUZZ_FAMILY_SHARE=8x "$bin" campaign --engine libfuzzer --jobs 1 --seconds 2 --out "$work/cf" >"$work/log4" 2>&1
[ $? = 2 ] && grep -q "MMFUZZ_FAMILY_SHARE: 8x is not a number" "$work/log4" && [ ! -e "$work/cf/logs" ] && ok || no "a bad MMFUZZ_FAMILY_SHARE not refused before the workers start"

# SIGHUP: the terminal closed
"$bin" campaign --engine libfuzzer --jobs 1 --seconds 120 --out "$work/h" --knobs=$knob >"$work/log4" 2>&1 &
pid=$!
sleep 6
kill -HUP $pid
t=0
while kill -0 $pid 2>/dev/null && [ $t -lt 30 ]; do sleep 1; t=$((t + 1)); done
if kill -0 $pid 2>/dev/null; then
	no "SIGHUP: still running after 30 s"
	kill -TERM $pid
fi
wait $pid
[ -s "$work/h/summary.txt" ] && grep -q "^stopped:" "$work/log4" && ok || no "SIGHUP: no summary"
sleep 1
if pgrep -f "$work/h" >/dev/null; then no "SIGHUP: workers left running"; else ok; fi

echo "campaign-smoke: $pass passed, $fail failed"
[ $fail = 0 ]
