#!/bin/sh
# Empty-corpus time to the first finding of the libFuzzer target (with the
# dictionary), per mutator: the structure-aware one against libFuzzer's bytes
# alone (MMFUZZ_MUTATOR=bytes).  Usage: bench/empty-corpus.sh [BUILD_DIR]; the
# environment sets KNOB (zap-rmap-before-flush), BUDGET (60 s) and SEEDS ("1 2 3").
# Uses BUILD_DIR/../fuzz/mm_fuzzer as `make fuzz` builds it.  Prints one line per
# try: mutator, seed, seconds to the finding or "none" within the budget.
set -u
knob=${KNOB:-zap-rmap-before-flush}
budget=${BUDGET:-60}
seeds=${SEEDS:-1 2 3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-10s %-6s %s\n' mutator seed seconds
for mut in structure bytes; do
	for seed in $seeds; do
		rm -rf "$tmp/c" && mkdir "$tmp/c"
		start=$(date +%s.%N)
		MMFUZZ_MUTATOR=$mut MMFUZZ_KNOBS=$knob nice build/fuzz/mm_fuzzer \
			-max_total_time="$budget" -seed="$seed" -dict=build/fuzz/mm_fuzzer.dict \
			-artifact_prefix="$tmp/" "$tmp/c" >"$tmp/log" 2>&1
		end=$(date +%s.%N)
		if grep -q "==mmfuzz== FINDING" "$tmp/log"; then
			t=$(echo "$end - $start" | bc)
		else
			t=none
		fi
		printf '%-10s %-6s %s\n' "$mut" "$seed" "$t"
	done
done
