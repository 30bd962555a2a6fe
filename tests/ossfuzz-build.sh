#!/bin/sh
# fuzz/build.sh as OSS-Fuzz and ClusterFuzzLite run it (CI, not make test), both
# flavours with the variables the engines export (TOOLING.md):
#   libFuzzer  CC=clang, CFLAGS=... -fsanitize=address -fsanitize=fuzzer-no-link,
#              LIB_FUZZING_ENGINE=-fsanitize=fuzzer
#   AFL++      CC=afl-clang-fast, LIB_FUZZING_ENGINE=libAFLDriver.a
# Each must produce the targets, seed corpus, dictionary and options; the targets
# must run the seeds clean with every knob off, report the zap race on its
# regression with MMFUZZ_KNOBS set; the AFL++ one must run under afl-fuzz.
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() {
	echo "ossfuzz-build: $*"
	fail=$((fail + 1))
}
driver=$(dpkg -L afl++ 2>/dev/null | grep 'libAFLDriver\.a$' | head -n 1)
[ -n "$driver" ] || driver=/usr/lib/afl/libAFLDriver.a
make -s build/mmfuzz || exit 1
build/mmfuzz encode regressions/zap-rmap-before-flush.sched -o "$work/race.bin" || exit 1

build() { # flavour, then VAR=value ...
	flavour=$1
	shift
	mkdir -p "$work/$flavour/out"
	if ! env "$@" OUT="$work/$flavour/out" WORK="$work/$flavour" bash fuzz/build.sh \
		>"$work/$flavour/build.log" 2>&1; then
		tail -20 "$work/$flavour/build.log"
		bad "$flavour: build.sh failed"
		return 1
	fi
	for f in mm_fuzzer scenario_fuzzer mm_fuzzer_seed_corpus.zip mm_fuzzer.dict \
		mm_fuzzer.options; do
		[ -s "$work/$flavour/out/$f" ] || bad "$flavour: no $f"
	done
	mkdir "$work/$flavour/seeds"
	unzip -q "$work/$flavour/out/mm_fuzzer_seed_corpus.zip" -d "$work/$flavour/seeds"
	n=$(ls "$work/$flavour/seeds" | wc -l)
	[ "$n" = "$(ls corpus/*.sched | wc -l)" ] && ok || bad "$flavour: $n seeds"
}

# OSS-Fuzz's own flags (address sanitizer, trace-cmp and all)
ossflags="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
if build libfuzzer CC=clang CXX=clang++ CFLAGS="$ossflags" CXXFLAGS="$ossflags" \
	LIB_FUZZING_ENGINE=-fsanitize=fuzzer; then
	out=$work/libfuzzer/out
	if "$out/mm_fuzzer" -runs=300 -seed=1 -dict="$out/mm_fuzzer.dict" "$work/libfuzzer/seeds" \
		>"$work/lf-clean.log" 2>&1; then ok; else
		tail "$work/lf-clean.log"
		bad "libfuzzer: seeds not clean with every knob off"
	fi
	if MMFUZZ_KNOBS=zap-rmap-before-flush "$out/mm_fuzzer" "$work/race.bin" >"$work/lf-race.log" 2>&1 ||
		! grep -q "FINDING lost-write" "$work/lf-race.log"; then
		tail "$work/lf-race.log"
		bad "libfuzzer: the regression does not crash with its knob"
	else ok; fi
	"$out/scenario_fuzzer" -runs=2000 -seed=1 >"$work/lf-scn.log" 2>&1 && ok ||
		bad "libfuzzer: scenario_fuzzer failed"
fi

if build afl CC=afl-clang-fast CXX=afl-clang-fast++ CFLAGS="-O1 -g" CXXFLAGS="-O1 -g" \
	LIB_FUZZING_ENGINE="$driver"; then
	out=$work/afl/out
	if "$out/mm_fuzzer" "$work"/afl/seeds/* >"$work/afl-clean.log" 2>&1; then ok; else
		tail "$work/afl-clean.log"
		bad "afl: seeds not clean with every knob off"
	fi
	if MMFUZZ_KNOBS=zap-rmap-before-flush "$out/mm_fuzzer" "$work/race.bin" \
		>"$work/afl-race.log" 2>&1 || ! grep -q "FINDING lost-write" "$work/afl-race.log"; then
		tail "$work/afl-race.log"
		bad "afl: the regression does not crash with its knob"
	else ok; fi
	AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
		afl-fuzz -V 5 -t 2000 -x "$out/mm_fuzzer.dict" -i "$work/afl/seeds" \
		-o "$work/afl/fuzz" -- "$out/mm_fuzzer" >"$work/afl-fuzz.log" 2>&1
	execs=$(sed -n 's/^execs_done *: *//p' "$work"/afl/fuzz/*/fuzzer_stats 2>/dev/null)
	if [ "${execs:-0}" -gt 0 ]; then ok; else
		tail "$work/afl-fuzz.log"
		bad "afl: afl-fuzz did not run the target"
	fi
fi
echo "ossfuzz-build: $pass passed, $fail failed"
[ "$fail" = 0 ]
