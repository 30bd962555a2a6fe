/* SPDX-License-Identifier: MIT */
/*
 * The structure-aware mutator, shared by the libFuzzer target
 * (LLVMFuzzerCustomMutator/CustomCrossOver) and the AFL++ custom mutator library.
 * It decodes an input (scn_decode is total), applies one change that means
 * something to a scenario or its schedule, and encodes the result:
 *
 *   preempt-move     a by-step preemption moves by a few steps (an anchored one by
 *                    one occurrence)
 *   preempt-target   a preemption switches to another agent
 *   preempt-add      a new preemption: at a step below the steps hint, or when an
 *                    agent finishes ("CPUa at done -> CPUb")
 *   preempt-remove
 *   op-arg           one field of one operation (agent, process, page, word, pages,
 *                    file, a flag, advice, value, kind)
 *   op-insert        a new operation, fresh or a tweaked copy of an existing one
 *   op-delete
 *   op-swap          two operations of one agent trade places
 *   crossover        with another input: its schedule on our scenario, one agent's
 *                    operations from it, or the two operation lists spliced
 *   tlb-mode         TLB flushes by IPI <-> by broadcast invalidation (`tlb`)
 *   op-observe       an observer of an operation's effect, last in another
 *                    agent's list: a load of a stored address (or by the other
 *                    process, or a device read through the pin), a load or query
 *                    of a changed range, the fork child's load of a stored address
 *   bytes            the engine's own byte mutation (when one is given), now and then
 *   (hint)           the schedule the harness's search found for this scenario, as
 *                    the input's own schedule (mut_schedule_hints, below)
 *   (restart)        one call in mut_family_share starts from a seed family's own
 *                    scenario instead of the input (mut_families_load, below)
 *
 * Deterministic: the same input and seed give the same output.  Leaves out:
 * knowledge of which sites exist (new preemptions are by step or at "done"; anchored
 * ones come from seeds and reports) and of what the model does with a scenario.
 */
#ifndef MMFUZZ_MUTATOR_H
#define MMFUZZ_MUTATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../tools/scenario.h"

#define MUT_KINDS(X)                                                                               \
	X(MUT_PREEMPT_MOVE, "preempt-move")                                                        \
	X(MUT_PREEMPT_TARGET, "preempt-target")                                                    \
	X(MUT_PREEMPT_ADD, "preempt-add")                                                          \
	X(MUT_PREEMPT_REMOVE, "preempt-remove")                                                    \
	X(MUT_OP_ARG, "op-arg")                                                                    \
	X(MUT_OP_INSERT, "op-insert")                                                              \
	X(MUT_OP_DELETE, "op-delete")                                                              \
	X(MUT_OP_SWAP, "op-swap")                                                                  \
	X(MUT_CROSSOVER, "crossover")                                                              \
	X(MUT_TLB_MODE, "tlb-mode")                                                                \
	X(MUT_OP_OBSERVE, "op-observe")                                                            \
	X(MUT_BYTES, "bytes")

/* clang-format off */
enum mut_kind {
#define MUT_KIND_ENUM(e, n) e,
	MUT_KINDS(MUT_KIND_ENUM)
#undef MUT_KIND_ENUM
	MUT_KIND_COUNT
};
/* clang-format on */
extern const char *const mut_kind_names[MUT_KIND_COUNT];

/*
 * Steps a typical execution takes: new by-step preemptions land below about this.
 * The libFuzzer target keeps it up to date; elsewhere the default (200) or
 * MMFUZZ_STEPS_HINT.
 */
extern uint32_t mut_steps_hint;
/* New operations use pages 0..mut_pages-1 (the harness folds addresses anyway). */
extern uint32_t mut_pages;

/*
 * Take the schedules the harness's search found (fuzz/schedule_search.h): half the
 * time an input whose scenario has one gets it as its own schedule, and nothing
 * else changes.  Set by the libFuzzer target, which shares the process with the
 * search; off elsewhere (then the output is a function of input and seed alone).
 */
extern bool mut_schedule_hints;

/*
 * Family restarts, the scenario energy a broad seed corpus needs: the engine
 * picks what to mutate from its corpus, and the descendants of the families that
 * keep bringing new interleavings soon make up most of it (four weak-memory
 * families found gupfast-pin-no-mb in 1 s; with 16 `memory sc` families beside
 * them, 4,289 new entries in 93 s, nearly all theirs, and nothing found).  So
 * one mut_mutate call in mut_family_share (default 4; 0: never) replaces the
 * input by the seed of a family picked uniformly, then mutates that: every seed
 * family keeps 1/(share * families) of the mutations, however the corpus grows.
 * The pick is a function of the seed, so the output still is of (input, seed,
 * families).
 *
 * mut_families_load reads the seeds from @dir: every `*.sched` text and every
 * other regular file that starts with SCN_MAGIC (a campaign's or the zoo's binary
 * seeds), in name order, the first MUT_FAMILIES_MAX of them (the rest are
 * counted on stderr).  A text that does not parse is reported on stderr as
 * `path:line: what` and left out.  Returns how many were loaded, or -1 with
 * @err set when @dir cannot be read.  mut_families_from_env: MMFUZZ_FAMILIES=DIR
 * and MMFUZZ_FAMILY_SHARE=N for the engines' processes; false with @err set on a
 * bad value.
 */
#define MUT_FAMILIES_MAX 1024
extern uint32_t mut_family_share;
int mut_families_load(const char *dir, char *err, size_t err_bytes);
bool mut_families_from_env(char *err, size_t err_bytes);
void mut_families_clear(void);
int mut_families_count(void);

/* The engine's byte-level mutator (LLVMFuzzerMutate), or NULL. */
typedef size_t (*mut_bytes_fn)(uint8_t *data, size_t size, size_t max_size);

/*
 * Mutate @data (@size bytes, room for @max_size) in place; returns the new size
 * (<= max_size, > 0 unless max_size is too small for any scenario).  @other, when
 * not NULL, is a second input for crossover.
 */
/* @bytes on the body of the input only: a byte mutation never breaks SCN_MAGIC. */
size_t mut_bytes_body(uint8_t *data, size_t size, size_t max_size, mut_bytes_fn bytes);
size_t mut_mutate(uint8_t *data, size_t size, size_t max_size, uint64_t seed, const uint8_t *other,
		  size_t other_size, mut_bytes_fn bytes);

/* Crossover of two inputs into @out; returns its size. */
size_t mut_crossover(const uint8_t *a, size_t a_size, const uint8_t *b, size_t b_size, uint8_t *out,
		     size_t max_size, uint64_t seed);

/*
 * One mutation of kind @kind on a decoded scenario (@other for crossover, may be
 * NULL).  Returns false when the kind does not apply (no preemption to move, a full
 * list, ...) and then leaves @s unchanged.  MUT_BYTES does not apply here.
 */
bool mut_apply(struct scenario *s, enum mut_kind kind, const struct scenario *other, uint64_t *rng);

#endif
