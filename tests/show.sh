#!/bin/sh
# mmfuzz show over every regression: the story names the verdict and marks the
# violating access, the SVG is well-formed XML (xmllint) with one lane per agent and
# the violation ringed, arrows routed at right angles (never a straight line over
# labels), the violation row numbered; the HTML page embeds it and tells the
# regression's story (its header comment); bad input exits 2.
# State cells: every regression names the address they show, prints the state
# under the violation and the other party, and draws cells right of the lanes
# (never over a label or an arrow), each text inside its cell.  Their content:
# zap-rmap-before-flush's other party (CPU2's store) goes through a stale TLB
# entry — P0's PTE is none, CPU2's TLB still maps frame 0 writable and dirty,
# drawn red — and the page is clean; lazyfree-discard-pinned's violation (the
# load) sees P0 map a new frame while the old one, unmapped, is still pinned.
# memory arm64: a deferred load is drawn at its issue and in its load agent's lane.
set -u
bin=${1:-build/mmfuzz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "show: $*" >&2; exit 1; }
# xpath over the SVG (its elements are in the SVG namespace)
xp() { xmllint --xpath "$1" "$2" 2>/dev/null; }
el() { printf "*[local-name()='%s']" "$1"; }
# The text, fill and tooltip of the cell of kind $3 (the Nth: $4) in group $2.
cell() {
	c="//$(el g)[@id='$2']/$(el g)[contains(concat(' ',@class,' '),' $3 ')][${4:-1}]"
	printf '%s|%s|%s\n' "$(xp "string($c/$(el text))" "$1")" \
		"$(xp "string($c/$(el rect)/@fill)" "$1")" "$(xp "string($c/$(el title))" "$1")"
}
# Cells lie right of every lane, and every cell's text fits its cell (10px
# monospace: 6px a character, 3px of padding).
cells_state() {
	groups=$(grep -c '<g id="state-[a-z0-9-]*" class="state">' "$2")
	[ "$groups" -ge 1 ] || fail "$1: the SVG has no state cells"
	lanes_end=$(xp "//$(el rect)[@fill='#eaeef6' or @fill='#f4f4f4']/@x" "$2" |
		grep -o '[0-9]*' | sort -n | tail -1)
	cells_x=$(xp "//$(el g)[starts-with(@class,'cell')]/$(el rect)/@x" "$2" |
		grep -o '[0-9]*' | sort -n | head -1)
	[ "$cells_x" -ge $((lanes_end + 330)) ] ||
		fail "$1: a state cell at x=$cells_x overlaps the lanes (last at $lanes_end)"
	sed -n 's/^<g class="cell [a-z]*"><title>.*width="\([0-9]*\)".*font-size="10"[^>]*>\([^<]*\)<.*/\1 \2/p' "$2" |
		while read -r w text; do
			[ $((${#text} * 6 + 3)) -le "$w" ] || fail "$1: '$text' overflows its cell ($w px)"
		done || exit 1
}
n=0
for f in regressions/*.sched; do
	"$bin" show "$f" --svg "$tmp/a.svg" --html "$tmp/a.html" >"$tmp/story" ||
		fail "$f: exit $?"
	oracle=$(sed -n 's/^expect *\([a-z-]*\).*/\1/p' "$f")
	grep -q "^verdict: $oracle at " "$tmp/story" || fail "$f: story has no verdict $oracle"
	grep -q '^ *[0-9]* !' "$tmp/story" || fail "$f: story marks no violating access"
	grep -q '\.\.\. [0-9]* steps \.\.\.' "$tmp/story" || fail "$f: story folds nothing"
	xmllint --noout "$tmp/a.svg" || fail "$f: SVG is not well-formed"
	agents=$(sed -n '/^agents/,/^schedule/p' "$f" | grep -o '^ *CPU[0-3]' | sort -u | wc -l)
	lanes=$(grep -c 'font-size="13" font-weight="bold">CPU' "$tmp/a.svg")
	[ "$lanes" = "$agents" ] || fail "$f: $lanes lanes for $agents agents"
	grep -q 'stroke="#c00000"' "$tmp/a.svg" || fail "$f: no ringed violation in the SVG"
	grep -q 'marker-end=' "$tmp/a.svg" || fail "$f: no arrow in the SVG"
	grep -q '<svg xmlns' "$tmp/a.html" || fail "$f: the HTML does not embed the SVG"
	grep -q "The regression's story" "$tmp/a.html" && grep -q '^Upstream:' "$tmp/a.html" ||
		fail "$f: the HTML page does not tell the regression's story"
	grep -q '<line ' "$tmp/a.svg" && fail "$f: a straight arrow (may cross labels)"
	step=$("$bin" replay "$f" | sed -n 's/^  step: *\([0-9]*\)$/\1/p')
	if grep -q ": $oracle  &lt;- violation</text>" "$tmp/a.svg" &&
		! grep -q "fill=\"#c00000\">$step</text>" "$tmp/a.svg"; then
		fail "$f: the verdict row has no step number ($step)"
	fi
	grep -q '^state cells: P[0-9] 0x[0-9a-f]* (' "$tmp/story" || fail "$f: no state cells"
	marked=$(grep -c '^ *\^\^\^ the \|^ *[0-9]* !.* <- the violation$' "$tmp/story")
	states=$(grep -c '^        state \(after step [0-9]*\|when the agents stopped\):' "$tmp/story")
	[ "$marked" = "$states" ] || fail "$f: $marked marked rows, $states state lines"
	cells_state "$f" "$tmp/a.svg"
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "no regressions"

# zap/flush: the other party's store goes through CPU2's stale TLB entry
f=regressions/zap-rmap-before-flush.sched
"$bin" show "$f" --svg "$tmp/a.svg" >"$tmp/story" || fail "$f: exit $?"
other=$(grep -B1 '^ *\^\^\^ the other party' "$tmp/story" | sed -n 's/^ *\([0-9]*\) !.*/\1/p')
[ -n "$other" ] || fail "$f: no other party"
grep -q "^        state after step $other: P0 PTE none | CPU2 TLB f0 W D stale | frame 0 F0:0 map 0 ref [0-9]* clean$" \
	"$tmp/story" || fail "$f: the story does not show CPU2's stale entry at step $other"
[ "$(cell "$tmp/a.svg" "state-after-$other" pte)" = "none|#f2f2f2|P0 maps nothing at 0x0" ] ||
	fail "$f: step $other: P0's PTE cell is not 'none'"
case $(cell "$tmp/a.svg" "state-after-$other" tlb) in
"f0 W D stale|#c00000|CPU2's TLB translates P0 0x0 to frame 0, writable, dirty -- stale"*) ;;
*) fail "$f: step $other: CPU2's TLB cell is not a red, stale, writable, dirty entry" ;;
esac
[ "$(cell "$tmp/a.svg" "state-after-$other" dirty)" = "dirty|#f2f2f2|frame 0: PG_dirty clear" ] ||
	fail "$f: step $other: frame 0 is not shown clean"
[ "$(cell "$tmp/a.svg" state-end tlb | cut -d'|' -f1)" = "-" ] ||
	fail "$f: CPU2's entry is still there when the agents stopped (the flush came)"

# GUP/pin: the load finds a new frame while the discarded one is still pinned
f=regressions/lazyfree-discard-pinned.sched
"$bin" show "$f" --svg "$tmp/a.svg" >"$tmp/story" || fail "$f: exit $?"
viol=$(grep -B1 '^ *\^\^\^ the violation' "$tmp/story" | sed -n 's/^ *\([0-9]*\) !.*/\1/p')
[ -n "$viol" ] || fail "$f: no violation row"
grep -q "^        state after step $viol: P0 PTE f1 W | .* | frame 0 anon map 0 ref 1 clean excl pin | frame 1 anon map 1 ref 1 clean excl$" \
	"$tmp/story" || fail "$f: the story does not show the pinned, unmapped frame 0 at step $viol"
[ "$(cell "$tmp/a.svg" "state-after-$viol" pin 1)" = "pin|#e6d0f5|frame 0: pinned (folio_maybe_dma_pinned)" ] ||
	fail "$f: step $viol: frame 0's pin cell is not lit"
[ "$(cell "$tmp/a.svg" "state-after-$viol" pin 2)" = "pin|#f2f2f2|frame 1: not pinned" ] ||
	fail "$f: step $viol: frame 1 is shown pinned"
[ "$(cell "$tmp/a.svg" "state-after-$viol" map 1 | cut -d'|' -f1)" = "map 0" ] ||
	fail "$f: step $viol: frame 0 is shown mapped"
# memory arm64: a deferred load is drawn where it was issued (its CPU's lane) and
# where it was performed (its load agent's lane, LD0a), as a store and its drain
printf 'mmfuzz-sched 1\nmemory arm64\nsetup\n  CPU0 P0 mmap 0x0 pages=1 anon private rw\n  CPU0 P0 store 0x18 = 0\nagents\n  CPU0 P0 load 0x0\n  CPU0 P0 store 0x8 = 1\n' >"$tmp/lb.sched"
"$bin" show "$tmp/lb.sched" --svg "$tmp/lb.svg" >"$tmp/lb.story" || fail "lb.sched: show failed"
grep -q "^ *[0-9]* .*hw_access:load" "$tmp/lb.story" && grep -q "^ *[0-9]* .*ld_perform:read" "$tmp/lb.story" ||
	fail "lb.sched: the deferred load's issue and perform steps are not both drawn"
grep -q 'font-weight="bold">LD0a<' "$tmp/lb.svg" || fail "lb.sched: no LD0a lane in the SVG"
printf 'mmfuzz-sched 1\nagents\n  CPU0 P0 bogus 0x0\n' >"$tmp/bad.sched"
"$bin" show "$tmp/bad.sched" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "bad input: expected exit 2"
grep -q "bad.sched:3:" "$tmp/err" || fail "bad input: no file:line message"
echo "show: $n regressions shown, SVG well-formed, state cells checked, a deferred load drawn twice: 1 passed, 0 failed"
