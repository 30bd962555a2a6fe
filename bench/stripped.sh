#!/bin/bash
# Sourced by bench/first-search.sh and bench/search-kinds.sh: a knob's stripped
# regression scenario as a harness input, and salted copies of it.
#
# stripped_input HERE KNOB DIR: DIR/k.sched is regressions/KNOB.sched without its
# schedule (as the zoo seeds the engines); prints the knobs its regression turns
# on, comma-separated (KNOB when its knobs line is empty).
stripped_input() {
	local here=$1 knob=$2 dir=$3
	grep -v -e '^ *at ' -e '^schedule' -e '-> CPU' "$here/regressions/$knob.sched" >"$dir/k.sched"
	local on
	on=$(sed -n 's/^knobs *//p' "$dir/k.sched" | tr -s ' ' ',')
	echo "${on:-$knob}"
}
# salted HERE DIR S: DIR/in.bin is DIR/k.sched in binary form salted with S
# (`mmfuzz encode --salt`: the same scenario, another input hash, so its own aims
# order and PCT/random seeds).
salted() {
	"$1/build/mmfuzz" encode "$2/k.sched" -o "$2/in.bin" --salt "$3"
}
