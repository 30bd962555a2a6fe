#!/bin/sh
# A campaign on a full disk (CI, as root: it mounts a 64 KB tmpfs).  It must stop
# with a message naming the path and the errno, exit 2, and report nothing
# half-written as done: no empty summary.txt or other empty file, no finding
# directory without its files.  Not root: this test fails (it is not skipped); run it from .ci/run.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" != 0 ]; then
	echo "campaign-tmpfs: FAIL: needs root to mount a tmpfs (CI runs it as root): 0 passed, 1 failed"
	exit 1
fi
work=$(mktemp -d)
mkdir "$work/full"
mount -t tmpfs -o size=64k tmpfs "$work/full" || { echo "campaign-tmpfs: FAIL: mount"; exit 1; }
trap 'umount "$work/full"; rm -rf "$work"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "campaign-tmpfs: FAIL: $*"; }
"$repo/build/mmfuzz" campaign --engine libfuzzer --jobs 1 --seconds 10 --out "$work/full/c" \
	--knobs=zap-rmap-before-flush >"$work/log" 2>&1
rc=$?
[ $rc = 2 ] && ok || no "exit $rc, not 2"
grep -q "cannot write $work/full/c.*: No space left on device" "$work/log" && ok ||
	no "no message naming the path and errno: $(tr '\r' '\n' <"$work/log" | tail -2)"
if [ -e "$work/full/c/summary.txt" ] && [ ! -s "$work/full/c/summary.txt" ]; then no "an empty summary.txt"; else ok; fi
empty=$(find "$work/full/c" -type f -empty | wc -l)
[ "$empty" = 0 ] && ok || no "$empty empty files left: $(find "$work/full/c" -type f -empty | head -3)"
for d in "$work"/full/c/findings/*; do
	[ -e "$d" ] || continue
	case $d in *.tmp) continue ;; esac
	[ -s "$d/finding.txt" ] && [ -s "$d/finding.sched" ] && ok || no "$d is half-written"
done
echo "campaign-tmpfs: $pass passed, $fail failed"
[ $fail = 0 ]
