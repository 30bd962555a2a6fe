#!/bin/sh
# Determinism across builds: every regression replayed (knobs on and off) and a
# random exploration must give the same fingerprints and the same run counts
# with every binary given (e.g. clang -O2, gcc -O0).
set -u
[ $# -ge 2 ] || { echo "usage: $0 MMFUZZ MMFUZZ..." >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for bin in "$@"; do
	case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
	i=$((i + 1))
	out="$tmp/$i"
	: >"$out"
	for f in regressions/*.sched; do
		for knobs in "" "--knobs="; do
			# shellcheck disable=SC2086
			"$bin" replay "$f" $knobs 2>/dev/null | grep -o 'fingerprint [0-9a-f]*' |
				sed "s|^|$f $knobs |" >>"$out"
		done
	done
	(cd "$tmp" && "$bin" demo --seed 7 | grep -E '^(random|FINDING|  signature)' |
		sed 's/ in [0-9.]* s ([0-9]* runs\/s//; s/ ([0-9.]* s)//') >>"$out"
done
n=$(wc -l <"$tmp/1")
files=$(ls regressions/*.sched | wc -l)
fps=$(grep -c '^regressions/' "$tmp/1")
demo=$(grep -c -E '^(random|FINDING|  signature)' "$tmp/1")
if [ "$fps" -ne $((2 * files)) ] || [ "$demo" -lt 3 ]; then
	echo "determinism: expected $((2 * files)) fingerprints and the demo's results from $1" >&2
	cat "$tmp/1" >&2
	exit 1
fi
j=1
for bin in "$@"; do
	case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac
	if ! cmp -s "$tmp/1" "$tmp/$j"; then
		echo "determinism: $bin differs from $1:" >&2
		diff "$tmp/1" "$tmp/$j" >&2
		exit 1
	fi
	j=$((j + 1))
done
echo "determinism: $# builds agree on $n fingerprints and run counts: 1 passed, 0 failed"
