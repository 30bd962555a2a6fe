#!/bin/sh
# The setup snapshot changes nothing: every regression (knobs on and off), every
# corpus family and every clean schedule, explored by random and by PCT, gives
# the same digest of every run's fingerprint and finding with the setup run for
# each run (--no-snapshot) as with its state restored — and each restored state
# equals a fresh setup's byte for byte (--snapshot-check aborts otherwise).
set -u
[ $# -eq 1 ] || { echo "usage: $0 MMFUZZ" >&2; exit 2; }
bin=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
fail=0
restored=0
for f in regressions/*.sched corpus/*.sched tests/clean/*.sched; do
	for knobs in "" "--knobs="; do
		case "$f" in regressions/*) ;; *) [ -z "$knobs" ] && continue ;; esac
		for strategy in random pct; do
			for mode in --no-snapshot --snapshot-check; do
				# shellcheck disable=SC2086
				"$bin" explore "$f" --strategy $strategy --runs 200 --digest $mode $knobs \
					>"$tmp/out$mode" 2>&1
				st=$?
				if [ $st -gt 1 ]; then
					echo "snapshot: $f $strategy $knobs $mode exited $st:" >&2
					cat "$tmp/out$mode" >&2
					fail=1
				fi
				grep -o 'digest [0-9a-f]*' "$tmp/out$mode" >"$tmp/d$mode" ||
					{ echo "snapshot: $f $strategy $mode printed no digest" >&2; fail=1; }
				r=$(sed -n 's/.*, \([0-9]*\) setups restored.*/\1/p' "$tmp/out$mode")
				[ "$mode" = --no-snapshot ] && [ "${r:-1}" -ne 0 ] &&
					{ echo "snapshot: $f: --no-snapshot restored $r setups" >&2; fail=1; }
				[ "$mode" = --snapshot-check ] && restored=$((restored + ${r:-0}))
			done
			if ! cmp -s "$tmp/d--no-snapshot" "$tmp/d--snapshot-check"; then
				echo "snapshot: $f $strategy $knobs: the snapshot changed the runs" >&2
				fail=1
			fi
			n=$((n + 1))
		done
	done
done
# most runs restore (a setup that leaves an RCU callback or a precursor behind
# cannot): none at all would mean the comparison above compared nothing
if [ "$restored" -lt $((n * 100)) ]; then
	echo "snapshot: only $restored restores in $n explorations" >&2
	fail=1
fi
[ $fail -eq 0 ] || exit 1
echo "snapshot: $n explorations, the same runs with and without the setup snapshot" \
	"($restored restored states, each checked against a fresh setup)"
