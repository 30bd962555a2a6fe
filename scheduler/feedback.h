/* SPDX-License-Identifier: MIT */
/*
 * Interleaving feedback for fuzzers, computed from the trace of the last execution.
 * Code coverage cannot tell two interleavings of the same code apart; these
 * features can, so a fuzzer keeps an input that orders accesses in a new way:
 *
 *   switch  (site where the previous agent stopped, site where the next one resumed)
 *           at every context switch;
 *   rf      reads-from: for each object, the last writer (agent, site); when another
 *           agent reads it, (writer site, reader site); when another agent writes
 *           it, the same pair marked write-after-write.  Reads are READ, RMW and
 *           ACQUIRE steps, writes WRITE, RMW and RELEASE (a lock release is read by
 *           the next acquire).
 *   precursor  the model calls sched_precursor(id) where an oracle's violation is
 *           one step away (its own ids, e.g. "a page is cleaned while a CPU still
 *           caches it writable"); the feature is (id, site of the last step).
 *
 * A feature is a 32-bit hash (kind mixed in); the caller folds it into its counter
 * map.  Generic: objects are the ids of the yield points, nothing here knows what
 * they are.  Deterministic: a function of the trace alone, a fixed table (objects
 * beyond its capacity are not tracked), no pointers.
 */
#ifndef MMFUZZ_FEEDBACK_H
#define MMFUZZ_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_FEEDBACKS(X)                                                                         \
	X(SCHED_FB_SWITCH, "switch") X(SCHED_FB_RF, "rf") X(SCHED_FB_PRECURSOR, "precursor")

/* clang-format off */
enum sched_feedback_bit {
#define SCHED_FB_BIT(e, n) e##_BIT,
	SCHED_FEEDBACKS(SCHED_FB_BIT)
#undef SCHED_FB_BIT
	SCHED_FB_COUNT
};
enum {
#define SCHED_FB_MASK(e, n) e = 1u << e##_BIT,
	SCHED_FEEDBACKS(SCHED_FB_MASK)
#undef SCHED_FB_MASK
	SCHED_FB_ALL = (1u << SCHED_FB_COUNT) - 1
};
/* clang-format on */
extern const char *const sched_feedback_names[SCHED_FB_COUNT];

/* Objects whose last writer is remembered per execution (beyond: untracked). */
#define SCHED_FB_OBJECTS_MAX 1024

/* Precursors remembered per execution (beyond: dropped). */
#define SCHED_FB_PRECURSORS_MAX 64

/* sched_precursor() (sched.h) appends to a per-execution list; sched_reset empties it. */
void sched_precursors_reset(void);
int sched_precursors_count(void);

/*
 * "switch,rf,precursor", "all" or "none" (empty means none) -> mask.  On an unknown name
 * returns false with a message in err.
 */
bool sched_feedback_parse(const char *list, uint32_t *kinds, char *err, size_t err_bytes);

typedef void (*sched_feature_fn)(uint32_t feature, void *arg);

/* Call @fn for every feature of the last execution's trace; returns how many. */
uint32_t sched_feedback(uint32_t kinds, sched_feature_fn fn, void *arg);

#endif
