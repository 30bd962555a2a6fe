#!/bin/sh
# AFL++ sync smoke test (CI, not make test: needs `make afl` and ~40 s of two
# cores): two campaigns on this machine share one sync directory, as two machines
# would on a shared filesystem.
#
#   main       `campaign --engine afl --sync-dir S --role main --name a`, 25 s
#   secondary  `... --role secondary --name b`, 20 s, started once main's queue
#              holds entries of its own (not only the seeds)
#
# Checks: the secondary imported entries from the main (AFL++ names them
# id:...,sync:main-HOST-a,...); both campaigns wrote their summaries; a crash
# planted in a third instance directory of S is processed by the main campaign
# (it collects every instance's crashes) and not by the secondary (its own only);
# a campaign that takes an id already running in S exits 2.  No timing is
# asserted: the secondary waits for the main's queue, however long that takes.
set -u
knob=zap-rmap-before-flush
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT
fail() {
	for l in "$work"/main.log "$work"/sec.log; do [ -f "$l" ] && tr '\r' '\n' <"$l" | tail -5; done
	echo "afl-sync: $1: 0 passed, 1 failed"
	exit 1
}
sync=$work/sync
mkdir -p "$sync/planted/crashes"
build/mmfuzz encode regressions/$knob.sched -o "$sync/planted/crashes/id:000000,planted" || exit 1

build/mmfuzz campaign --engine afl --jobs 1 --seconds 25 --out "$work/main" --sync-dir "$sync" \
	--role main --name a --knobs=$knob >"$work/main.log" 2>&1 &
pid=$!
n=0
until ls "$sync"/main-*-a/queue 2>/dev/null | grep -v orig: | grep -q '^id:'; do
	kill -0 "$pid" 2>/dev/null || fail "the main campaign ended before its queue grew"
	sleep 1
	n=$((n + 1))
done
echo "afl-sync: the main's queue grew after ${n} s"
build/mmfuzz campaign --engine afl --jobs 1 --seconds 5 --out "$work/dup" --sync-dir "$sync" \
	--role secondary --name a --knobs=$knob >"$work/dup.log" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "give this one a --name" "$work/dup.log" ||
	fail "a second campaign with the main's id was not refused (exit $rc)"
build/mmfuzz campaign --engine afl --jobs 1 --seconds 20 --out "$work/sec" --sync-dir "$sync" \
	--role secondary --name b --knobs=$knob >"$work/sec.log" 2>&1
wait "$pid"
pid=
imported=$(ls "$sync"/sec0-*-b/queue | grep -c ',sync:main-.*-a,')
[ "$imported" -gt 0 ] || fail "the secondary imported nothing from the main"
for c in main sec; do
	[ -s "$work/$c/summary.txt" ] || fail "the $c campaign wrote no summary"
done
grep -q "crashes by instance:.* planted 1" "$work/main/summary.txt" ||
	fail "the main campaign did not process the planted crash"
! grep -q planted "$work/sec/summary.txt" || fail "the secondary processed another instance's crash"
grep -q "^instances sec0-.*-b; secondary" "$work/sec/summary.txt" || fail "the secondary's summary"
echo "afl-sync: the secondary imported $imported entries from the main"
echo "afl-sync: 5 passed, 0 failed"
