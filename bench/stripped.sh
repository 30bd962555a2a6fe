#!/bin/bash
# Sourced by bench/first-search.sh and bench/search-kinds.sh: a knob's stripped
# regression scenario as a harness input, and salted copies of it.
#
# stripped_input HERE KNOB DIR: DIR/k.bin is regressions/KNOB.sched without its
# schedule, in binary form (as the zoo seeds the engines); prints the knobs its
# regression turns on, comma-separated (KNOB when its knobs line is empty).
stripped_input() {
	local here=$1 knob=$2 dir=$3
	grep -v -e '^ *at ' -e '^schedule' -e '-> CPU' "$here/regressions/$knob.sched" >"$dir/k.sched"
	"$here/build/mmfuzz" encode "$dir/k.sched" -o "$dir/k.bin" >/dev/null || return 1
	local on
	on=$(sed -n 's/^knobs *//p' "$dir/k.sched" | tr -s ' ' ',')
	echo "${on:-$knob}"
}
# salted DIR S: DIR/in.bin is DIR/k.bin and 8 salt bytes (S) after its last
# section, which the decoder ignores: the same scenario, another input hash, so
# its own aims order and PCT/random seeds.
salted() {
	cp "$1/k.bin" "$1/in.bin"
	printf '%08d' "$2" >>"$1/in.bin"
}
