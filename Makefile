# mmfuzz — the one build entry point.
#
#   make            build/mmfuzz and the libraries
#   make test       Criterion unit tests, the kernel's maple tree suite, regressions,
#                   determinism across builds
#   make test-asan  the same suites under ASan+UBSan
#   make fuzz       build/fuzz/mm_fuzzer (libFuzzer) and the parser fuzzer
#   make fuzz-asan  build/fuzz-asan/mm_fuzzer, the same under ASan+UBSan
#   make afl        build/afl/mm_fuzzer_afl (AFL++ persistent) and its custom mutator
#   make bench      benchmarks (ratios, side by side), see bench/
#   make zoo        every knob x every strategy, every family clean: bench/zoo.{tsv,txt,svg}
#   make mutants    mutants of core/'s protocols searched blind: bench/mutants.{tsv,txt}
#   make demo       the short campaign of the README: finds the zap race, shows it
#   make deps       install missing Debian packages (root) or print the command

CC       ?= clang
ifeq ($(origin CC),default)
CC       := clang
endif
OPT      ?= -O2
WARN     := -Wall -Wextra -Werror
CSTD     := -std=c11 -D_GNU_SOURCE
CFLAGS   ?= $(OPT) -g
ALLCFLAGS = $(CSTD) $(WARN) $(CFLAGS) -Ischeduler -Icore -Itools -Ifuzz
B        ?= build

PACKAGES := clang clang-format llvm libclang-rt-14-dev libcriterion-dev afl++ libxxhash-dev libxml2-utils \
            linux-source-6.12

SCHED_SRC := scheduler/sched.c scheduler/sync.c scheduler/policy.c scheduler/ctx.c scheduler/feedback.c
SCHED_ASM := scheduler/ctx_switch.S
CORE_SRC  := $(sort $(wildcard core/*.c core/oracle/*.c)) core/kernel/maple_glue.c
TOOLS_SRC := tools/scenario.c tools/exec.c tools/explore.c tools/trace_print.c tools/minimize.c \
             tools/engine.c \
             tools/show.c tools/show_svg.c tools/show_state.c tools/bisect.c
FUZZLIB_SRC := fuzz/mutator.c fuzz/schedule_search.c fuzz/fold.c
CLI_SRC   := tools/mmfuzz.c tools/campaign.c tools/zoo.c tools/zoo_try.c tools/zoo_report.c \
             tools/zoo_chart.c
TEST_SRC  := $(sort $(wildcard tests/test_*.c))
HDRS      := $(wildcard scheduler/*.h core/*.h core/oracle/*.h core/kernel/*.h tools/*.h fuzz/*.h tests/*.h)

LIB_SRC   := $(SCHED_SRC) $(CORE_SRC) $(TOOLS_SRC) $(FUZZLIB_SRC)
objs       = $(patsubst %.c,$(1)/obj/%.o,$(filter %.c,$(2))) $(patsubst %.S,$(1)/obj/%.o,$(filter %.S,$(2)))

.PHONY: mutants mutants-test
.PHONY: all test test-unit test-regress test-tools test-determinism test-asan fuzz fuzz-asan afl bench zoo demo deps clean format format-check
all: deps $(B)/mmfuzz

# ---- packages -----------------------------------------------------------------
DEPS_STAMP := build/.deps-ok
deps: $(DEPS_STAMP)
$(DEPS_STAMP): Makefile
	@missing=""; for p in $(PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing) || exit 1; \
	  else \
	    echo "missing packages; run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@mkdir -p build && touch $@

# ---- the kernel's maple tree ------------------------------------------------------
# lib/maple_tree.c and include/linux/maple_tree.h of Debian's linux-source-6.12,
# extracted at build time (never committed) into one place for every build
# flavour: the tree's yield-point sites hash their file name, which must not
# depend on $(B).  core/kernel/maple_glue.c includes it over the shims of
# core/kernel/include; the kernel file gets the kernel's dialect (gnu11) and is
# exempt from the two warnings it does not meet.  One edit, as the kernel's
# tools/testing/radix-tree edits radix-tree.c: the definition of ma_dead_node()
# is renamed ma_dead_node_unchecked(), so that the shim's ma_dead_node() checks
# the node for use after free before the kernel's dead-node test reads it.
# lib/test_maple_tree.c, the kernel's test suite of the tree, comes along for
# build/test_kmaple (below) with one edit: in maple_tree_seed(), each call of a
# test function (check_ranges(&tree), check_forking(), ...) becomes
# KMTEST_RUN(check_ranges, &tree), which runs it, times it and names it, or skips
# it (tests/kernel/test_kmaple.c).  One pass over the tarball (~20 s).
KTEST_RUN_SED := s/^\t((check_[a-z0-9_]+|next_prev_test|alloc_cyclic_testing)\((&tree[^)]*)?\));$$/\tKMTEST_RUN(\2, \3);/; \
                 s/KMTEST_RUN\((check_load|check_insert|check_dup_insert), (.*)\);$$/\1(\2);/
KSRC       := build/ksrc
KSRC_TAR   := /usr/src/linux-source-6.12.tar.xz
KSRC_STAMP := $(KSRC)/.extracted-with-test
$(KSRC_STAMP): | $(DEPS_STAMP)
	@rm -rf $(KSRC)/tar && mkdir -p $(KSRC)/linux $(KSRC)/tar
	tar -xJf $(KSRC_TAR) -C $(KSRC)/tar linux-source-6.12/lib/maple_tree.c \
	  linux-source-6.12/include/linux/maple_tree.h linux-source-6.12/lib/test_maple_tree.c
	sed 's/^static __always_inline bool ma_dead_node(/&/; s/bool ma_dead_node(const/bool ma_dead_node_unchecked(const/' \
	  $(KSRC)/tar/linux-source-6.12/lib/maple_tree.c >$(KSRC)/maple_tree.c.tmp
	@grep -q 'bool ma_dead_node_unchecked(const' $(KSRC)/maple_tree.c.tmp || \
	  { echo "lib/maple_tree.c: ma_dead_node() not found"; exit 1; }
	@mv $(KSRC)/maple_tree.c.tmp $(KSRC)/maple_tree.c
	@mv $(KSRC)/tar/linux-source-6.12/include/linux/maple_tree.h $(KSRC)/linux/maple_tree.h
	sed -E '/^static int __init maple_tree_seed\(void\)$$/,/^}$$/{$(KTEST_RUN_SED)}' \
	  $(KSRC)/tar/linux-source-6.12/lib/test_maple_tree.c >$(KSRC)/test_maple_tree.c.tmp
	@[ "$$(grep -c 'KMTEST_RUN(' $(KSRC)/test_maple_tree.c.tmp)" -ge 25 ] || \
	  { echo "lib/test_maple_tree.c: maple_tree_seed()'s test calls not found"; exit 1; }
	@mv $(KSRC)/test_maple_tree.c.tmp $(KSRC)/test_maple_tree.c
	@rm -rf $(KSRC)/tar
	@touch $@
KERNEL_INC    = -std=gnu11 -D_GNU_SOURCE -Icore/kernel/include -I$(KSRC)
KERNEL_CFLAGS = $(KERNEL_INC) $(WARN) -Wno-unused-parameter -Wno-sign-compare $(CFLAGS)
$(B)/obj/core/kernel/maple_glue.o: core/kernel/maple_glue.c $(HDRS) $(KSRC_STAMP) $(OBJ_DEPS)
	@mkdir -p $(dir $@)
	$(CC) $(KERNEL_CFLAGS) -c $< -o $@

# The kernel's own test suite of the tree, lib/test_maple_tree.c, in the way of
# its userland harness (tools/testing/radix-tree/maple.c): one translation unit,
# tests/kernel/test_kmaple.c, includes the glue (and with it the tree) and the
# test module, over core/kernel's shims and tests/kernel's; it links the
# scheduler only.  GPL-2.0, as the tree.  The kernel dialect and exemptions as
# above.  The node pool holds KMAPLE_TEST_NODES nodes, the most it can (a uint16_t
# ring): check_dup's two trees of 100,010 entries have 30,148 live at once.
# About 15 s of CPU, 12 of them check_dup's; make test-asan skips check_dup.
KMAPLE_TEST_NODES := 65536
KTEST_CFLAGS = -Itests/kernel/include $(KERNEL_CFLAGS) -DKMAPLE_ANY_ROOT=1 \
               -DKMAPLE_NODES_MAX=$(KMAPLE_TEST_NODES)
$(B)/obj/tests/kernel/test_kmaple.o: tests/kernel/test_kmaple.c core/kernel/maple_glue.c \
                                     $(wildcard tests/kernel/*.h tests/kernel/include/*/*.h) \
                                     $(HDRS) $(KSRC_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(KTEST_CFLAGS) -c $< -o $@
$(B)/test_kmaple: $(B)/obj/tests/kernel/test_kmaple.o $(call objs,$(B),$(SCHED_SRC) $(SCHED_ASM))
	$(CC) $(CFLAGS) $^ -o $@

# ---- objects ------------------------------------------------------------------
$(B)/obj/%.o: %.c $(HDRS) $(OBJ_DEPS) | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(ALLCFLAGS) -c $< -o $@
$(B)/obj/%.o: %.S | $(DEPS_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(B)/libmmfuzz.a: $(call objs,$(B),$(LIB_SRC) $(SCHED_ASM))
	@rm -f $@
	$(AR) rcs $@ $^

# ---- build/mmfuzz: one program, laid out by a profile ---------------------------
# build/mmfuzz is what searches (explore, the zoo's in-process strategies, the
# campaigns' replays), so it is compiled as one program (-flto) against a profile
# of its own runs: an instrumented build (build/pgo/gen) runs tools/pgo-train.sh
# over every regression and corpus scenario, llvm-profdata merges the counts, and
# build/opt compiles every object against them.  The profile steers inlining and
# code layout only, never behaviour: tests/determinism.sh compares this binary's
# fingerprints with the gcc -O0, clang -O2 and ucontext builds'.  The tests and
# every other build flavour link the plain objects of $(B).  PGO=0 builds
# build/mmfuzz plainly, as the others.  bench/runs.sh against the plain build (see
# the README's speed section): 1.55-1.72x runs per second.
PGO ?= 1
ifeq ($(B)|$(PGO)|$(CC),build|1|clang)
PGO_PROFILE := build/pgo/mmfuzz.profdata
PGO_USE     := -flto -fprofile-instr-use=$(abspath $(PGO_PROFILE)) -Wno-profile-instr-unprofiled
$(PGO_PROFILE): $(LIB_SRC) $(CLI_SRC) $(SCHED_ASM) $(HDRS) $(KSRC_STAMP) tools/pgo-train.sh | $(DEPS_STAMP)
	@$(MAKE) -s B=build/pgo/gen PGO=0 CFLAGS="$(CFLAGS) -fprofile-instr-generate" build/pgo/gen/mmfuzz
	@rm -rf build/pgo/raw
	tools/pgo-train.sh build/pgo/gen/mmfuzz build/pgo/raw
	llvm-profdata merge -o $@ build/pgo/raw/*.profraw
MMFUZZ_FLAVOUR := profile
build/mmfuzz: $(PGO_PROFILE) build/.mmfuzz-flavour FORCE
	@$(MAKE) -s B=build/opt PGO=0 CFLAGS="$(CFLAGS) $(PGO_USE)" AR=llvm-ar OBJ_DEPS=$(PGO_PROFILE) \
	  build/opt/mmfuzz
	@cmp -s build/opt/mmfuzz $@ || { cp build/opt/mmfuzz $@.tmp && mv $@.tmp $@; }
else
MMFUZZ_FLAVOUR := plain
$(B)/mmfuzz: $(call objs,$(B),$(CLI_SRC)) $(B)/libmmfuzz.a $(B)/.mmfuzz-flavour
	$(CC) $(CFLAGS) $(filter-out %/.mmfuzz-flavour,$^) -lm -o $@
endif
# which of the two $(B)/mmfuzz is: rewritten when it changes (make PGO=0 after a
# profiled build relinks, and the other way round)
$(B)/.mmfuzz-flavour: FORCE
	@mkdir -p $(B) && echo $(MMFUZZ_FLAVOUR) | cmp -s - $@ || echo $(MMFUZZ_FLAVOUR) >$@
.PHONY: FORCE
FORCE:

$(B)/test_%: $(B)/obj/tests/test_%.o $(B)/libmmfuzz.a
	$(CC) $(CFLAGS) $^ -lcriterion -o $@

TEST_BINS = $(filter-out $(B)/test_regressions,$(patsubst tests/%.c,$(B)/%,$(TEST_SRC)))

# ---- tests --------------------------------------------------------------------
# Criterion exits 0 when no test ran: tests/run-criterion guards against that.
test: test-unit test-regress test-tools test-determinism
test-unit: $(TEST_BINS) $(B)/mmfuzz $(B)/test_kmaple
	@for t in $(TEST_BINS); do tests/run-criterion $$t || exit 1; done
	@$(B)/test_kmaple
test-regress: $(B)/mmfuzz $(B)/test_regressions
	@tests/run-criterion $(B)/test_regressions
	@tests/snapshot.sh $(B)/mmfuzz
test-tools: $(B)/mmfuzz
	@tests/show.sh $(B)/mmfuzz
	@tests/zoo.sh $(B)/mmfuzz
	@tests/git-bisect-race.sh
	@tests/cli.sh $(B)/mmfuzz
test-determinism:
	@$(MAKE) -s B=build/det-gcc-O0 CC=gcc OPT=-O0 build/det-gcc-O0/mmfuzz
	@$(MAKE) -s B=build/det-clang-O2 CC=clang OPT=-O2 build/det-clang-O2/mmfuzz
	@$(MAKE) -s B=build/det-ucontext CC=gcc CFLAGS="-O2 -g -DSCHED_CTX_UCONTEXT" build/det-ucontext/mmfuzz
	@tests/determinism.sh build/mmfuzz build/det-gcc-O0/mmfuzz build/det-clang-O2/mmfuzz \
		build/det-ucontext/mmfuzz
	@tests/snapshot.sh build/det-gcc-O0/mmfuzz

ASAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
test-asan:
	@$(MAKE) -s B=build/asan CC=clang CFLAGS="$(ASAN_FLAGS)" test-unit test-regress

# ---- fuzzing --------------------------------------------------------------------
# No trace-cmp: comparison tracing tripled the cost of an execution and serves
# libFuzzer's byte-level CMP tricks, which the structure-aware mutator does not use.
# -O2 as the harness alone (-O1 cost 12% more CPU per input).  Every file stays
# instrumented: leaving the scheduler and tools/ out saved another 12% but its
# edges are signal (blocking, IPI and contention paths): executions to the zap race
# from the stripped scenario went from a median of 12k to 17-25k.
FUZZ_FLAGS := -O2 -g -fsanitize=fuzzer-no-link -fno-sanitize-coverage=trace-cmp
fuzz: deps
	@$(MAKE) -s B=build/fuzz CC=clang CFLAGS="$(FUZZ_FLAGS)" build/fuzz/mm_fuzzer build/fuzz/scenario_fuzzer
	@$(MAKE) -s build/mmfuzz
	@build/mmfuzz dict > build/fuzz/mm_fuzzer.dict
$(B)/%_fuzzer: $(B)/obj/fuzz/%_fuzzer.o $(B)/libmmfuzz.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer $^ -o $@
# The libFuzzer target under ASan+UBSan (tests/fuzz-asan.sh, CI): the harness's
# own arrays (the schedule search's aims and pairs) see inputs no unit test makes.
fuzz-asan: deps
	@$(MAKE) -s B=build/fuzz-asan CC=clang \
		CFLAGS="$(FUZZ_FLAGS) -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
		build/fuzz-asan/mm_fuzzer

# AFL++: the same harness in persistent mode (fuzz/afl_driver.c), instrumented by
# afl-clang-lto (edges numbered at link time, over the whole program: the same
# collision-free map as afl-clang-fast's guards, with a constant index per edge
# instead of a guard to load; its target without the engine runs at 0.79-0.87 of
# the harness alone, afl-clang-fast's at 0.56-0.71: README, "Speed, 2026-12-05,
# fourth pass"), and the
# structure-aware mutator as a custom mutator library.  Its objects are bitcode:
# llvm-ar archives them.  AFL_CC=afl-clang-fast builds the other way.  The 8-bit
# edge counters wrap at 256 (AFL_LLVM_SKIP_NEVERZERO): the carry that keeps a
# wrapped counter at 1 cost 8-16% of the target's time, and the zoo from corpus/
# finds every knob in the same runs without it (README, "Speed, 2026-12-06, fifth
# pass"); a counter that wraps to 0 hides its edge from that one execution, at one
# count in 256.
AFL_CC ?= afl-clang-lto
afl: deps
	@AFL_LLVM_SKIP_NEVERZERO=1 $(MAKE) -s B=build/afl CC=$(AFL_CC) AR=llvm-ar CFLAGS="-O2 -g" \
		build/afl/mm_fuzzer_afl
	@$(MAKE) -s B=build/afl-mutator CC=clang CFLAGS="-O2 -g -fPIC" build/afl/mmfuzz_mutator.so
	@$(MAKE) -s build/mmfuzz
	@build/mmfuzz dict > build/afl/mm_fuzzer.dict
$(B)/mm_fuzzer_afl: $(B)/obj/fuzz/mm_fuzzer.o $(B)/obj/fuzz/afl_driver.o $(B)/libmmfuzz.a
	$(CC) $(CFLAGS) $^ -o $@
build/afl/mmfuzz_mutator.so: $(B)/obj/fuzz/afl_mutator.o $(B)/libmmfuzz.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared $^ -o $@

# ---- benchmarks and demo ----------------------------------------------------------
bench: $(B)/mmfuzz $(B)/bench_sched
	@$(MAKE) -s B=$(B)/plain $(B)/plain/mmfuzz
	@bench/run.sh $(B)
# The harness without an engine (fuzz/afl_driver.c's file mode), for bench/fuzzing.sh.
$(B)/harness/mm_fuzzer_afl: $(call objs,$(B),fuzz/mm_fuzzer.c fuzz/afl_driver.c) $(B)/libmmfuzz.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $^ -o $@
$(B)/bench_sched: $(B)/obj/bench/bench_sched.o $(B)/libmmfuzz.a
	$(CC) $(CFLAGS) $^ -o $@

# The zoo: every knob x every strategy (libFuzzer and AFL++ one core each, PCT d=1..3,
# random, DFS b=2), then every corpus family with every knob off; sized for this
# 2-core machine (~25 minutes): ZOO_SECONDS a try, ZOO_SEEDS seeds, ZOO_JOBS tries at
# once.  Writes bench/zoo.tsv (one row per knob x strategy), bench/zoo.txt (the
# table) and bench/zoo.svg (the chart); fails when the zoo's verdict does.
ZOO_SECONDS ?= 10
ZOO_SEEDS   ?= 3
ZOO_JOBS    ?= 2
ZOO_ARGS    ?=
zoo: fuzz afl
	@build/mmfuzz zoo --seconds-per-knob $(ZOO_SECONDS) --seeds $(ZOO_SEEDS) --jobs $(ZOO_JOBS) \
		--tsv --table bench/zoo.txt $(ZOO_ARGS) >bench/zoo.tsv; rc=$$?; \
	build/mmfuzz zoo-chart bench/zoo.tsv -o bench/zoo.svg && \
	echo "written: bench/zoo.tsv, bench/zoo.txt, bench/zoo.svg"; exit $$rc

# Mutants of the model's own protocols (bench/mutants.py): every site of core/*.c found
# by its kernel call name, each built in build/mutants/src (the working tree is never
# written) and searched blind over every corpus family, random and PCT, knobs off.
# MUTANTS_RUNS runs per family per strategy (5000: the recorded run, ~20 minutes here;
# 40000 is about the 2 minutes per surviving mutant of issue 19); MUTANTS_ARGS e.g.
# "--operators drop-tlb-flush".  Exit 1 if the control finds something or a survivor
# is not in bench/mutants-triage.tsv.
MUTANTS_RUNS ?= 5000
MUTANTS_ARGS ?=
mutants: deps
	@python3 bench/mutants.py --runs $(MUTANTS_RUNS) --tsv bench/mutants.tsv \
		--table bench/mutants.txt $(MUTANTS_ARGS)
mutants-test: deps
	@tests/mutants.sh

demo: $(B)/mmfuzz
	@$(B)/mmfuzz demo

FORMAT_SRC = $(wildcard scheduler/*.[ch] core/*.[ch] core/oracle/*.[ch] core/kernel/*.[ch] tools/*.[ch] tests/*.[ch] \
             tests/kernel/*.[ch] fuzz/*.[ch] bench/*.c)
format:
	clang-format -i $(FORMAT_SRC)
format-check: deps
	clang-format --dry-run --Werror $(FORMAT_SRC)

# `make -s print-LIB_SRC`: a variable's value, for fuzz/build.sh (one source list)
print-%:
	@echo $($*)

clean:
	rm -rf build
