#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script.  The engine's environment says how to
# compile and link: $CC $CFLAGS for every object, $CXX $CXXFLAGS ... $LIB_FUZZING_ENGINE
# to link each target, $OUT for the results:
#
#   mm_fuzzer, scenario_fuzzer                the targets (no knob: the model as it is)
#   mm_fuzzer_seed_corpus.zip                 corpus/*.sched in binary form
#   mm_fuzzer.dict, mm_fuzzer.options         dictionary (from the operation table)
#
# It builds a plain host `mmfuzz` with $BUILD_CC (default cc, no sanitizers) to encode
# the seeds and write the dictionary.  Works for libFuzzer (CC=clang,
# CFLAGS=-fsanitize=fuzzer-no-link,address ..., LIB_FUZZING_ENGINE=-fsanitize=fuzzer)
# and AFL++ (CC=afl-clang-fast, LIB_FUZZING_ENGINE=libAFLDriver.a); tests/ossfuzz-build.sh
# runs both.  Knobs are runtime switches (MMFUZZ_KNOBS), so one build serves all.
set -eu # also when run as `bash build.sh`, which ignores the #! line's flags
cd "$(dirname "$0")/.."
: "${OUT:?OUT must name the output directory}"
: "${CC:=clang}" "${CXX:=clang++}" "${CFLAGS:=}" "${CXXFLAGS:=}" "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
BUILD_CC=${BUILD_CC:-cc}
work=${WORK:-$(mktemp -d)}/mmfuzz-build
rm -rf "$work" && mkdir -p "$work/obj" "$work/host" "$work/seeds" "$OUT"

INC="-std=c11 -D_GNU_SOURCE -Ischeduler -Icore -Itools -Ifuzz"
# the Makefile's source lists, so this build never drifts from it
lib=$(make -s --no-print-directory print-LIB_SRC)
asm=$(make -s --no-print-directory print-SCHED_ASM)
cli=$(make -s --no-print-directory print-CLI_SRC)
# the kernel's lib/maple_tree.c, extracted from linux-source-6.12 (needs the
# package) and compiled by core/kernel/maple_glue.c in the kernel's dialect
kglue=core/kernel/maple_glue.c
kinc=$(make -s --no-print-directory print-KERNEL_INC)
make -s --no-print-directory DEPS_STAMP= "$(make -s --no-print-directory print-KSRC_STAMP)"
cc_flags() { # the include and dialect flags of a source file
	if [ "$1" = "$kglue" ]; then echo "$kinc"; else echo "$INC"; fi
}

# shellcheck disable=SC2086
for src in $lib $asm; do
	$CC $CFLAGS $(cc_flags "$src") -c "$src" -o "$work/obj/$(echo "$src" | tr / _).o"
done
for target in mm_fuzzer scenario_fuzzer; do
	$CC $CFLAGS $INC -c "fuzz/$target.c" -o "$work/$target.o"
	# shellcheck disable=SC2086
	$CXX $CXXFLAGS "$work/$target.o" "$work"/obj/*.o $LIB_FUZZING_ENGINE -o "$OUT/$target"
done

# host tool: seeds and dictionary
mkdir -p "$work/host/obj"
# shellcheck disable=SC2086
for src in $lib $asm $cli; do
	$BUILD_CC -O1 $(cc_flags "$src") -c "$src" -o "$work/host/obj/$(echo "$src" | tr / _).o"
done
$BUILD_CC "$work"/host/obj/*.o -lm -o "$work/host/mmfuzz"
for f in corpus/*.sched; do
	"$work/host/mmfuzz" encode "$f" -o "$work/seeds/$(basename "$f" .sched).bin"
done
rm -f "$OUT/mm_fuzzer_seed_corpus.zip"
zip -q -j "$OUT/mm_fuzzer_seed_corpus.zip" "$work"/seeds/*.bin
"$work/host/mmfuzz" dict >"$OUT/mm_fuzzer.dict"
cat >"$OUT/mm_fuzzer.options" <<'OPTIONS'
[libfuzzer]
max_len = 8192
OPTIONS
