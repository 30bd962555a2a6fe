#!/bin/sh
# tools/git-bisect-race under `git bisect run`: a temporary repository holds the
# tree in four commits; the third re-introduces the zap race (knob_enabled() reports
# zap-rmap-before-flush on whatever the knobs say: the fix reverted).  Bisecting with
# the zap regression, every knob off, must name that third commit.  A fifth commit
# that breaks the build must be skipped (exit 125), not blamed.
set -u
src=$(pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "git-bisect-race: $*" >&2; exit 1; }
git -C "$src" ls-files -co --exclude-standard -z | (cd "$src" && xargs -0 tar -cf - ) |
	(mkdir -p "$tmp/repo" && cd "$tmp/repo" && tar -xf -) || fail "cannot copy the tree"
grep -v '^knobs' "$src/regressions/zap-rmap-before-flush.sched" >"$tmp/race.sched"
cd "$tmp/repo" || exit 1
g() { git -c user.name=test -c user.email=test@example.invalid "$@" >/dev/null 2>&1; }
g init -q . && g add -A && g commit -qm "base: the fixed kernel"
good=$(git rev-parse HEAD)
echo "# a harmless change" >>README.md && g commit -qam "README"
sed -i 's|return (mm_knobs >> k) \& 1u;|return ((mm_knobs \| 1u << KNOB_ZAP_RMAP_BEFORE_FLUSH) >> k) \& 1u;|' \
	core/knobs.h
grep -q 'mm_knobs | 1u << KNOB_ZAP' core/knobs.h || fail "could not re-introduce the race"
g commit -qam "the race comes back"
culprit=$(git rev-parse HEAD)
echo "# another harmless change" >>README.md && g commit -qam "README again"
g bisect start HEAD "$good"
git bisect run tools/git-bisect-race "$tmp/race.sched" >"$tmp/log" 2>&1
named=$(sed -n 's/^\([0-9a-f]\{40\}\) is the first bad commit.*/\1/p' "$tmp/log")
[ "$named" = "$culprit" ] || { cat "$tmp/log" >&2; fail "named '$named', expected $culprit"; }
g bisect reset
# a commit that does not build is skipped, not blamed
echo "#error broken" >>tools/exec.c && g commit -qam "broken build"
tools/git-bisect-race "$tmp/race.sched" >/dev/null 2>&1
[ $? = 125 ] || fail "a broken build must exit 125"
echo "git-bisect-race: bisect named the commit that re-introduced the race: 1 passed, 0 failed"
