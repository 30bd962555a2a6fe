/* SPDX-License-Identifier: MIT */
/*
 * The harness's second level of search: for the scenario of each fuzzer input,
 * a search of its schedules whose budget follows novelty, and the energy of
 * scenario families.  fuzz/mm_fuzzer.c drives it; fuzz/mutator.c takes the
 * schedules it found.
 *
 *   budget     a scenario (an input's operations, its schedule left out) never
 *              seen gets SEARCH_BUDGET_MAX schedules; each search of it that found
 *              no new interleaving feature halves its next budget (down to
 *              SEARCH_BUDGET_MIN), one that found some restores it.  Remembered
 *              per scenario hash in a direct-mapped table (a collision forgets:
 *              the scenario is new again).
 *   schedules  schedule i of an input is a function of the input's bytes and i
 *              alone: every other one (while there are) aims at a reads-from or
 *              write-after-write pair of the input's own run, RFF-style: at the
 *              writer's access switch to the reader's agent (before: the pair
 *              flips), just after it (after: the reader reads the write, early,
 *              inside the writer's window), just after the writer's unlocks that
 *              follow the write when the writer goes on (window: between dropping
 *              a lock and the work due after it: a TLB flush after the PTE lock,
 *              the mremap and zap races), or at the reader's access switch to the
 *              writer's (later: the reader reads a later write), on top of the
 *              input's own schedule up to there, and then a random tail (forced
 *              choices among the runnable agents at random, a switch point every
 *              16 steps on average) where the own schedule would run the lowest
 *              agent.  Windows go first, then after and before, then later (the
 *              hit rates per run of each kind, search_aims()); an aim to an agent
 *              that had finished by its step is none.  The others are PCT d=3,
 *              random, PCT d=2, PCT d=3, random, PCT d=3 in turn, seeded from the
 *              input's hash.  Measured from the stripped scenarios (libFuzzer,
 *              3 seeds, median runs): zap-rmap-before-flush 326 -> 61 with both
 *              the aim just after the write and the tail, 326 with either alone;
 *              contpte-fold-skip-tlbi 522 -> 102; no-flush-batched-pending 160
 *              -> 8.  So a process that has never seen the scenario (a replay)
 *              runs the most schedules, and each in the same way as the fuzzing
 *              process did: a finding replays.  The same input twice in a row
 *              (AFL++'s calibration) searches only the first time.
 *   hints      a schedule that brought a new feature is kept (the latest per
 *              scenario) for the mutator, which makes it an input's own schedule
 *              (search_hint_take): the engine then sees the feature and keeps the
 *              input, and the next search starts from there (depth composes).
 *              Under AFL++ the table is a file both processes map
 *              (search_hints_share).
 *   energy     a family (the setup: which mappings, processes, forks, pins) that
 *              has brought no new feature for much longer than the freshest
 *              family runs only one input in 2, 4, ... 16 (by input hash; the
 *              others are rejected before any model run); a family never seen,
 *              and every family while none progresses, runs everything.
 *
 * Novelty is measured on a private 65,536-bit set of every feature any run of this
 * process produced; only the input's own run feeds the engine's counters.
 */
#ifndef MMFUZZ_SCHEDULE_SEARCH_H
#define MMFUZZ_SCHEDULE_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "../scheduler/feedback.h"
#include "../scheduler/policy.h"
#include "../tools/exec.h"
#include "../tools/scenario.h"

#define SEARCH_BUDGET_MAX 16
#define SEARCH_BUDGET_MIN 2

/* The scenario without its schedule (operations, setup, arch, TLB mode). */
uint64_t search_scenario_hash(const struct scenario *s);
/* The family: the shape of the setup (kinds, processes, backing, sharing). */
uint64_t search_family_hash(const struct scenario *s);

/* Energy: should an input of @family with hash @input_hash run at all? */
bool search_family_admits(uint64_t family, uint64_t input_hash);
/* Schedules to search for @scenario (SEARCH_BUDGET_MIN..SEARCH_BUDGET_MAX). */
int search_budget(uint64_t scenario);
/* After an input ran: did any of its runs bring a new feature? */
void search_record(uint64_t scenario, uint64_t family, bool novel);

/*
 * Add the last run's features to the novelty set; true when one was new.  Each
 * feature also goes to @also (unless NULL) in the same pass: the harness feeds
 * its engine's counters from it.
 */
bool search_novel_features(uint32_t feedback_kinds, sched_feature_fn also, void *also_arg);

/*
 * The reads-from and write-after-write pairs of the last run (call before the
 * next run), as candidate preemptions: none to an agent that had finished by
 * its step (sched_agent_done_at).  In the order of enum search_aim_kind's tiers
 * (windows, then after and before, then later), @seed ordering each tier.
 * Returns how many.
 */
enum search_aim_kind {
	SEARCH_AIM_WINDOW, /* just after the writer's unlocks that follow the write */
	SEARCH_AIM_AFTER,  /* just after the write: the reader inside the writer's window */
	SEARCH_AIM_BEFORE, /* at the write: the reader reads the value before it */
	SEARCH_AIM_LATER,  /* at the read: the writer goes first, the reader reads later */
	SEARCH_AIM_KINDS,
};
struct search_aim {
	uint32_t step;
	uint8_t target;
	uint8_t kind; /* enum search_aim_kind */
};
#define SEARCH_AIMS_MAX 40
int search_aims(struct search_aim *aims, uint64_t seed);

/*
 * Schedule @i of the search: the policy to run (owned by the search, valid until
 * the next call).  @own: the input's own run as recorded preemptions (a prefix of
 * it under each aim), @steps: its length (PCT's k).
 */
struct sched_policy *search_policy(const struct scenario *s, const struct scn_preempt *own,
				   int own_count, uint32_t steps, const struct search_aim *aims,
				   int aims_count, uint64_t seed, int i);

/*
 * What schedule @i of the search is, by name: an aim's kind ("window", "after",
 * "before", "later"), "pct2", "pct3" or "random" (bench/search-kinds.sh).
 */
const char *search_schedule_kind(const struct search_aim *aims, int aims_count, int i);

/*
 * Schedule @i of the rescue of a finding whose schedule took more preemptions
 * than a scenario holds (SCN_PREEMPT_MAX): random schedules with 24-64 switch
 * points in a run of about @steps, and every fourth PCT d=2 or 3, seeded from
 * @seed (the policy is owned here, valid until the next call).
 */
struct sched_policy *search_rescue_policy(uint32_t steps, uint64_t seed, int i);

/* A schedule that brought a new feature to @scenario, for the mutator. */
void search_hint_put(uint64_t scenario, const struct scn_preempt *p, int count);
/* Take (and forget) the hint of @scenario into @s's schedule; false when none. */
bool search_hint_take(uint64_t scenario, struct scenario *s);
/*
 * Keep the hints in the file @path (created, or reused as it is), mapped shared:
 * AFL++'s custom mutator runs in afl-fuzz's process, the search in the target's,
 * and both map the file MMFUZZ_HINTS_FILE names (the zoo and campaigns give each
 * AFL++ instance its own).  afl-fuzz runs the target and the mutator in turn,
 * never at once, so the table needs no lock.  False with @err set (the path and
 * errno) when the file cannot be made or mapped.
 */
bool search_hints_share(const char *path, char *err, size_t err_bytes);

#endif
