#!/bin/sh
# mmfuzz show over every regression: the story names the verdict and marks the
# violating access, the SVG is well-formed XML (xmllint) with one lane per agent and
# the violation ringed, arrows routed at right angles (never a straight line over
# labels), the violation row numbered; the HTML page embeds it and tells the
# regression's story (its header comment); bad input exits 2.
set -u
bin=${1:-build/mmfuzz}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "show: $*" >&2; exit 1; }
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
	n=$((n + 1))
done
[ "$n" -ge 2 ] || fail "no regressions"
printf 'mmfuzz-sched 1\nagents\n  CPU0 P0 bogus 0x0\n' >"$tmp/bad.sched"
"$bin" show "$tmp/bad.sched" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "bad input: expected exit 2"
grep -q "bad.sched:3:" "$tmp/err" || fail "bad input: no file:line message"
echo "show: $n regressions shown, SVG well-formed: 1 passed, 0 failed"
