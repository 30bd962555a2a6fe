#!/bin/sh
# CLI conventions (make test): every command answers --help and -h with its usage
# on stdout and exit 0; numeric options are validated (exit 2, never "no finding");
# only a file starting with the binary header is taken as binary — a .sched with a
# stray control byte and /usr/bin/ls are file:line errors (exit 2); decode refuses
# text; tools/git-bisect-race aborts the bisection (exit > 127) on a missing file
# or one that is not a scenario at all; the README's example schedule replays with
# --strict.  Usage: tests/cli.sh build/mmfuzz
set -u
bin=${1:-build/mmfuzz}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "cli: FAIL: $*"; }

for cmd in replay explore minimize show bisect demo knobs encode decode dict campaign zoo zoo-chart help; do
	for h in --help -h; do
		out=$("$bin" "$cmd" "$h" 2>"$work/err"); rc=$?
		if [ $rc = 0 ] && echo "$out" | grep -q "^usage: mmfuzz" && [ ! -s "$work/err" ]; then ok; else no "$cmd $h: exit $rc"; fi
	done
done
"$bin" --help | grep -q "^usage: mmfuzz COMMAND" && ok || no "mmfuzz --help"

expect_rc() { # rc, message regexp, command...
	want=$1 re=$2; shift 2
	"$@" >"$work/out" 2>"$work/err"; rc=$?
	if [ "$rc" = "$want" ] && grep -Eq -- "$re" "$work/err"; then ok; else no "$* -> exit $rc (want $want, /$re/): $(head -c 200 "$work/err")"; fi
}
expect_rc 2 "--runs abc: not a whole number" "$bin" explore regressions/zap-rmap-before-flush.sched --strategy random --runs abc
expect_rc 2 "--seed 1x" "$bin" explore regressions/zap-rmap-before-flush.sched --strategy random --seed 1x
expect_rc 2 "--bound -1" "$bin" explore regressions/zap-rmap-before-flush.sched --strategy dfs --bound -1
expect_rc 2 "dfs never repeats" "$bin" explore regressions/zap-rmap-before-flush.sched --strategy dfs --same-schedule
expect_rc 2 "dfs never repeats" "$bin" demo --strategy dfs --same-schedule
# --same-schedule: every run is the first one again.  Seed 1's first random run of
# the zap race is clean (46 steps) and the search finds the race at run 109; with
# the flag, 2000 runs are that first run 2000 times: 46 steps each, no finding.
for st in random pct; do
	first=$("$bin" explore regressions/zap-rmap-before-flush.sched --strategy $st --runs 1 -o "$work/f.sched" |
		sed -n '1s/.* \([0-9.]*\) steps\/run.*/\1/p')
	"$bin" explore regressions/zap-rmap-before-flush.sched --strategy $st --runs 2000 --same-schedule \
		-o "$work/f.sched" >"$work/out"
	rc=$?
	if [ $rc = 0 ] && [ -n "$first" ] && grep -q "^$st: 2000 runs .* $first steps/run), .*no finding" "$work/out"; then
		ok
	else
		no "explore --strategy $st --same-schedule: exit $rc, want 2000 runs of $first steps: $(head -c 200 "$work/out")"
	fi
done
"$bin" explore regressions/zap-rmap-before-flush.sched --strategy random --runs 2000 -o "$work/f.sched" |
	grep -q "first finding at run 109 " && ok || no "explore --strategy random: the zap race not at run 109"
expect_rc 2 "--good x" "$bin" bisect regressions/zap-rmap-before-flush.sched --good x
expect_rc 2 "--jobs zero" "$bin" campaign --engine libfuzzer --jobs zero --seconds 1 --out "$work/c"
expect_rc 2 "--seconds 5s" "$bin" campaign --engine libfuzzer --jobs 1 --seconds 5s --out "$work/c"

# a .sched with a stray control byte: text, so file:line
{ head -n 3 regressions/zap-rmap-before-flush.sched; printf 'knobs\001 zap-rmap-before-flush\n'; } >"$work/stray.sched"
expect_rc 2 "stray.sched:[0-9]+: " "$bin" replay --strict "$work/stray.sched"
expect_rc 2 "/usr/bin/ls:[0-9]+: " "$bin" replay --strict /usr/bin/ls
expect_rc 2 "missing.sched: cannot open" "$bin" replay "$work/missing.sched"
expect_rc 2 "regressions/zap-rmap-before-flush.sched:1: not a binary" "$bin" decode regressions/zap-rmap-before-flush.sched
# binary with the header: encode, decode, replay, minimize all agree
"$bin" encode regressions/zap-rmap-before-flush.sched -o "$work/zap.bin" && ok || no "encode"
[ "$(head -c 4 "$work/zap.bin" | od -An -c | tr -d ' ')" = '177mmf' ] && ok || no "the binary header"
# --salt: other bytes, the same scenario
"$bin" encode regressions/zap-rmap-before-flush.sched -o "$work/salt.bin" --salt 7 && ok || no "encode --salt"
! cmp -s "$work/zap.bin" "$work/salt.bin" && ok || no "a salted encoding has other bytes"
[ "$("$bin" decode "$work/zap.bin")" = "$("$bin" decode "$work/salt.bin")" ] && ok || no "a salted encoding decodes to the same scenario"
expect_rc 2 "--salt 0: not a whole number" "$bin" encode regressions/zap-rmap-before-flush.sched -o "$work/salt.bin" --salt 0
expect_rc 2 "cannot write $work/no/x.bin" "$bin" encode regressions/zap-rmap-before-flush.sched -o "$work/no/x.bin"
"$bin" decode "$work/zap.bin" | grep -q "^knobs *zap-rmap-before-flush" && ok || no "decode"
"$bin" replay "$work/zap.bin" | grep -q "FINDING lost-write" && ok || no "replay of the binary form"
"$bin" minimize "$work/zap.bin" -o "$work/min.sched" --knobs=zap-rmap-before-flush >/dev/null && ok || no "minimize --knobs"
"$bin" bisect "$work/zap.bin" --knobs= >/dev/null 2>&1; [ $? = 1 ] && ok || no "bisect --knobs= (clean: exit 1)"

# git-bisect-race: abort (> 127) on a file that is missing or no scenario at all
sh tools/git-bisect-race "$work/missing.sched" >/dev/null 2>&1; rc=$?
[ $rc -gt 127 ] && ok || no "git-bisect-race on a missing file: exit $rc"
sh tools/git-bisect-race /usr/bin/ls >/dev/null 2>&1; rc=$?
[ $rc -gt 127 ] && ok || no "git-bisect-race on /usr/bin/ls: exit $rc"

# the README's example schedule (section "Scenario files") replays with --strict
awk '/^## Scenario files/{s=1} s&&/^```$/{if(in_){exit} in_=1; next} s&&in_{print}' README.md >"$work/readme.sched"
grep -q "^mmfuzz-sched 1" "$work/readme.sched" && ok || no "README example not found"
"$bin" replay --strict "$work/readme.sched" >"$work/out" 2>"$work/err"; rc=$?
[ $rc = 1 ] && grep -q "FINDING lost-write" "$work/out" && ok || no "README example: replay --strict exit $rc: $(cat "$work/err")"

echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
