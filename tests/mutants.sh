#!/bin/bash
# SPDX-License-Identifier: MIT
# The mechanics of bench/mutants.py (`make mutants-test`): the enumeration finds >= 100
# mutants over >= 8 operators with unique ids; the triage names no stale id; one
# mutant applied, built, searched and restored leaves the working tree byte-identical
# (also when the run is killed with SIGTERM midway); dropping the mmu_gather's TLB
# flush is killed by an oracle; bad arguments exit 2.  The scratch tree is build/mutants-test (not make mutants' one).
set -u
cd "$(dirname "$0")/.."
M=bench/mutants.py
W=build/mutants-test
mkdir -p build
fail() {
	echo "tests/mutants.sh: FAIL: $*" >&2
	exit 1
}
sum() { cat core/*.c core/*.h | sha256sum; }

list=$(python3 $M --list 2>"$W.err") || fail "--list exited $?"
n=$(printf '%s\n' "$list" | wc -l)
ops=$(printf '%s\n' "$list" | cut -f1 | cut -d: -f3 | sort -u | wc -l)
uniq=$(printf '%s\n' "$list" | cut -f1 | sort -u | wc -l)
[ "$n" -ge 100 ] || fail "--list: $n mutants, want >= 100"
[ "$ops" -ge 8 ] || fail "--list: $ops operators, want >= 8"
[ "$uniq" -eq "$n" ] || fail "--list: ids not unique ($uniq of $n)"
s1=$(python3 $M --list --sample 10 --seed 7 2>/dev/null)
s2=$(python3 $M --list --sample 10 --seed 7 2>/dev/null)
[ "$s1" = "$s2" ] && [ "$(printf '%s\n' "$s1" | wc -l)" -eq 10 ] || fail "--sample is not deterministic"

# every triaged id names a mutant that exists (a renamed site leaves a stale entry)
python3 $M --check-triage || fail "bench/mutants-triage.tsv has stale entries (above)"

python3 $M --runs 0 >/dev/null 2>&1
[ $? -eq 2 ] || fail "--runs 0 should exit 2"
python3 $M --operators nonsense >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown operator should exit 2"
python3 $M --only no-such-mutant >/dev/null 2>&1
[ $? -eq 2 ] || fail "--only matching nothing should exit 2"

before=$(sum)
kill_id='tlb.c:__tlb_flush_mmu_tlbonly:drop-tlb-flush:__flush_tlb_range#1'
python3 $M --only "$kill_id" --families zap-writeback --runs 2000 --no-control --work $W \
	--tsv $W/one.tsv >$W.out 2>&1
rc=$?
[ "$(sum)" = "$before" ] || fail "the working tree changed"
cmp -s core/tlb.c $W/src/core/tlb.c || fail "the scratch copy of core/tlb.c was not restored"
[ $rc -eq 0 ] || fail "mutants exited $rc: $(tail -3 $W.out)"
row=$(grep -F "$kill_id" $W/one.tsv) || fail "no TSV row for $kill_id"
status=$(printf '%s\n' "$row" | cut -f6)
oracle=$(printf '%s\n' "$row" | cut -f7)
[ "$status" = killed ] || fail "$kill_id: $status, want killed"
case $oracle in sim-assert | timeout | exit*) fail "$kill_id killed by $oracle, want an oracle" ;; esac

# SIGTERM while a mutant is built or searched: the tree stays as it was
python3 $M --only "$kill_id" --only 'memory.c:handle_pte_fault:drop-recheck' --runs 200000 \
	--no-control --work $W >/dev/null 2>&1 &
pid=$!
sleep 3
kill -TERM $pid
wait $pid
[ "$(sum)" = "$before" ] || fail "the working tree changed after SIGTERM"
for f in core/*.c; do
	cmp -s "$f" "$W/src/$f" || fail "SIGTERM left $W/src/$f mutated"
done
echo "tests/mutants.sh: ok ($n mutants, $ops operators; $kill_id killed by $oracle)"
