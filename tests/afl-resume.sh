#!/bin/sh
# AFL++ resume (CI; needs `make` and `make afl`): AFL++ renames an instance's
# crashes/ to crashes.DATE when it resumes.  A crash planted in crashes/ after a
# first run must be found by the resumed campaign in crashes.DATE, counted once,
# and listed in summary.txt; a third run (the crash moved again or not) still
# lists it and counts no crash twice.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$repo/build/mmfuzz
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "afl-resume: FAIL: $*"; }
knob=zap-rmap-before-flush
"$bin" campaign --engine afl --jobs 1 --seconds 8 --out "$work/c" --knobs=$knob >"$work/log1" 2>&1
[ -d "$work/c/afl/main" ] && ok || { no "no AFL++ instance directory"; tr '\r' '\n' <"$work/log1" | tail -3; }
mkdir -p "$work/c/afl/main/crashes"
"$bin" encode "$repo/regressions/$knob.sched" -o "$work/c/afl/main/crashes/id:999999,sig:06,planted"
"$bin" campaign --engine afl --jobs 1 --seconds 8 --out "$work/c" --knobs=$knob >"$work/log2" 2>&1
ls -d "$work"/c/afl/main/crashes.* >/dev/null 2>&1 && ok || no "AFL++ did not rename crashes/ (nothing to test)"
ls "$work"/c/afl/main/crashes*/id:999999* >/dev/null 2>&1 && ok || no "the planted crash is gone"
sig=$("$bin" replay "$repo/regressions/$knob.sched" | awk '/signature:/{print $2}')
grep -q "^$sig .*lost-write" "$work/c/summary.txt" && ok || no "resume: the planted finding is not listed: $(cat "$work/c/summary.txt")"
[ -s "$work/c/findings/$sig/finding.sched" ] && ok || no "resume: findings/$sig not written"
"$bin" campaign --engine afl --jobs 1 --seconds 5 --out "$work/c" --knobs=$knob >"$work/log3" 2>&1
grep -q "^$sig " "$work/c/summary.txt" && ok || no "second resume: $sig not listed"
n=$(ls "$work"/c/findings | grep -vc '\.tmp$')
grep -q " $n distinct findings" "$work/c/summary.txt" && ok || no "summary does not count the $n findings on disk"
echo "afl-resume: $pass passed, $fail failed"
[ $fail = 0 ]
