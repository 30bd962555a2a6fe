#!/bin/sh
# Campaign throughput and corpus growth, two mmfuzz builds side by side (one run,
# the same machine, at the same time: ratios, not absolute numbers):
#
#   bench/campaign.sh OLD_MMFUZZ NEW_MMFUZZ [SECONDS [JOBS [KNOBS]]]
#
# Each build runs `mmfuzz campaign --engine libfuzzer` from its own source tree
# (an old build seeds from ./corpus) with the zap knob by default, so crashes
# happen.  Reports, per build: model executions of the workers (libFuzzer's "#N",
# summed over worker starts), how many of them re-ran the corpus after a worker
# start (INITED), worker starts, corpus files and KB at the end, crashes, distinct
# findings.  bench/campaign.txt keeps the measured table.
set -u
old=$1 new=$2 secs=${3:-120} jobs=${4:-2} knobs=${5:-zap-rmap-before-flush}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run() { # name binary
	(cd "$(dirname "$2")/.." && "$2" campaign --engine libfuzzer --jobs "$jobs" --seconds "$secs" \
		--out "$work/$1" --knobs="$knobs" >"$work/$1.log" 2>&1)
}
run old "$old" &
run new "$new" &
wait
printf '| build | execs | of them corpus re-runs | execs/s | worker starts | corpus files | corpus KB | crashes | distinct findings |\n'
printf '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
for b in old new; do
	o=$work/$b
	execs=$(for l in "$o"/logs/w*.log; do
		awk '/INFO: Seed:/{t+=m; m=0} /^#[0-9]+/{v=substr($1,2)+0; if(v>m)m=v} END{print t+m}' "$l"
	done | awk '{s+=$1} END{print s}')
	inited=$(cat "$o"/logs/w*.log | awk '/INITED/{s+=substr($1,2)} END{print s+0}')
	starts=$(cat "$o"/logs/w*.log | grep -c 'INFO: Seed')
	printf '| %s | %d | %d | %d | %d | %d | %d | %s | %s |\n' "$b" "$execs" "$inited" \
		$((execs / secs)) "$starts" "$(ls "$o/corpus" | wc -l)" "$(du -sk "$o/corpus" | cut -f1)" \
		"$(sed -n 's/^\([0-9]*\) crashes.*/\1/p' "$o/summary.txt")" \
		"$(sed -n 's/.* \([0-9]*\) distinct findings.*/\1/p' "$o/summary.txt")"
done
grep -h "corpus reduced" "$work"/new.log | tr '\r' '\n' | grep "corpus reduced" | sed 's/^/new: /'
