#!/bin/sh
# Every README command is tested (CI: needs root for `make`'s package check only
# when packages are missing; takes a few minutes: it builds in a scratch clone).
#
# Extracts the ```sh blocks of README.md (continuation lines joined, prompts such
# as "fuzz1$ " dropped) and runs them in order in a scratch clone of HEAD, each as
# the table below says: "run" as written; "short: COMMAND" a shortened form of it
# (marked here, checked the same way); "covered: WHY" not run here because another
# CI step runs exactly it.  A README command missing from the table, or a table
# row whose command is no longer in the README, fails the test: a new README
# command needs its row.  Each row also says what its output must show.
set -u
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone" || exit 1
cd "$work/clone" || exit 1
export MAKEFLAGS=-j2
export AFL_NO_UI=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_AFFINITY=1

# README command ;; how it is run ;; what the output must contain (grep -E; empty:
# exit 0).  " ;; " separates the fields: commands hold "|" and ";".
table() {
	cat <<'ROWS'
make demo # builds (installs missing packages as root), finds the zap race, shows it ;; run ;; the same search with every knob off
make test # unit tests, every regression replayed knob on and off, determinism ;; covered: .ci/run runs make test on the same tree just before ;;
build/mmfuzz campaign --engine afl --jobs 2 --seconds 86400 --out ~/c --sync-dir /shared/sync --role main --knobs=zap-rmap-before-flush ;; covered: tests/afl-sync.sh runs a main and a secondary campaign through one sync directory ;;
build/mmfuzz campaign --engine afl --jobs 2 --seconds 86400 --out ~/c --sync-dir /shared/sync --role secondary --knobs=zap-rmap-before-flush ;; covered: tests/afl-sync.sh ;;
while sleep 600; do # on every machine, next to its campaign ;; covered: needs other machines over ssh; tests/afl-sync.sh syncs through one directory ;;
for peer in fuzz1 fuzz2 fuzz3; do ;; covered: the rsync loop above ;;
[ "$peer" = "$(hostname -s)" ] || rsync -a ~/sync/main-"$(hostname -s)" "$peer":sync/ ;; covered: the rsync loop above ;;
done ;; covered: the rsync loop above ;;
make fuzz ;; run ;;
mkdir -p seeds work && for f in corpus/*.sched; do build/mmfuzz encode $f -o seeds/$(basename $f .sched).bin; done ;; run ;;
MMFUZZ_KNOBS=zap-rmap-before-flush build/fuzz/mm_fuzzer -dict=build/fuzz/mm_fuzzer.dict work/ seeds/ ;; short: MMFUZZ_KNOBS=zap-rmap-before-flush build/fuzz/mm_fuzzer -dict=build/fuzz/mm_fuzzer.dict -max_total_time=120 work/ seeds/ ;; ==mmfuzz== FINDING lost-write
make afl # AFL++: persistent target + structure-aware custom mutator ;; run ;;
AFL_CUSTOM_MUTATOR_ONLY=1 AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/mmfuzz_mutator.so MMFUZZ_KNOBS=zap-rmap-before-flush afl-fuzz -Z -x build/afl/mm_fuzzer.dict -i seeds -o out -- build/afl/mm_fuzzer_afl ;; short: AFL_BENCH_UNTIL_CRASH=1 AFL_CUSTOM_MUTATOR_ONLY=1 AFL_CUSTOM_MUTATOR_LIBRARY=build/afl/mmfuzz_mutator.so MMFUZZ_KNOBS=zap-rmap-before-flush afl-fuzz -Z -V 120 -x build/afl/mm_fuzzer.dict -i seeds -o out -- build/afl/mm_fuzzer_afl ;;
MMFUZZ_KNOBS=zap-rmap-before-flush build/afl/mm_fuzzer_afl out/default/crashes/id:000000* # prints the finding and its .sched ;; run ;; ==mmfuzz== FINDING lost-write
make mutants # every mutant: bench/mutants.tsv, bench/mutants.txt ;; covered: a benchmark (~20 min); make mutants-test below runs the same tool on its own mutants ;;
python3 bench/mutants.py --list # the mutants (id, file:line, what), nothing run ;; run ;; drop-tlb-flush
python3 bench/mutants.py --diff --only zap_pte_range # as diffs ;; run ;; tlb_flush_mmu
python3 bench/mutants.py --sample 30 --seed 1 --runs 2000 --tsv build/sample.tsv # 4 minutes ;; short: python3 bench/mutants.py --sample 2 --seed 1 --runs 200 --tsv build/sample.tsv ;;
python3 bench/mutants.py --report bench/mutants.tsv # the table again, current triage ;; run ;; drop-lock-pair
python3 bench/mutants.py --check-triage # exit 1 if the triage names a mutant that no longer exists ;; run ;;
python3 bench/mutants.py --reach --only memory.c:zap_pte_range:drop-tlb-flush:tlb_flush_mmu#1 --no-control # does any family execute the site? ;; run ;;
make mutants-test # tests/mutants.sh: the tool's mechanics (~50 s) ;; run ;;
ROWS
}

# The README's commands, one per line.
awk '
	/^ *```sh$/ { inblock = 1; next }
	/^ *```$/ { inblock = 0; next }
	inblock {
		sub(/^ +/, ""); sub(/^[a-z0-9]+\$ /, "")
		line = line (line == "" ? "" : " ") $0
		if (line ~ /\\$/) { sub(/ *\\$/, "", line); next }
		if (line != "") print line
		line = ""
	}' "$repo/README.md" | sed 's/  */ /g' >"$work/commands"

pass=0 fail=0
[ "${1:-}" = --list ] && { cat "$work/commands"; exit 0; }
ok() { pass=$((pass + 1)); }
no() { fail=$((fail + 1)); echo "readme-commands: FAIL: $*"; }
table | awk -F' ;; ' '{print $1}' | sed 's/  */ /g' | sort -u >"$work/rows"
while IFS= read -r c; do
	grep -qxF -- "$c" "$work/rows" && ok || no "README command without a test row: $c"
done <"$work/commands"
while IFS= read -r c; do
	grep -qxF -- "$c" "$work/commands" && ok || no "test row for a command no longer in the README: $c"
done <"$work/rows"

n=0
table | while IFS= read -r row; do
	n=$((n + 1))
	row="$row " # a row may end in " ;;"
	cmd=${row%% ;; *}
	rest=${row#* ;; }
	how=${rest%% ;; *}
	want=${rest#* ;; }
	want=${want% }
	case $how in
	covered:*) echo "readme-commands: not run here ($how): $cmd"; continue ;;
	run) run=$cmd ;;
	short:*) run=${how#short: }; echo "readme-commands: shortened: $run" ;;
	esac
	echo "readme-commands: \$ $run"
	sh -c "$run" >"$work/out.$n" 2>&1
	rc=$?
	if [ -n "$want" ]; then
		grep -Eq -- "$want" "$work/out.$n" && echo PASS || { tail -5 "$work/out.$n"; echo "FAIL: $cmd: no /$want/"; }
	else
		[ $rc = 0 ] && echo PASS || { tail -5 "$work/out.$n"; echo "FAIL: $cmd: exit $rc"; }
	fi
done >"$work/results"
cat "$work/results"
pass=$((pass + $(grep -c '^PASS$' "$work/results")))
fail=$((fail + $(grep -c '^FAIL' "$work/results")))
echo "readme-commands: $pass passed, $fail failed"
[ $fail = 0 ]
