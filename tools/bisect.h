/* SPDX-License-Identifier: MIT */
/*
 * The race window of a failing schedule (mmfuzz bisect): the pair of conflicting
 * events — same object, different agents, at least one of them writing — whose
 * order decides the outcome.  For each candidate pair (first, second) of the
 * failing run, the schedule gets two more preemptions: the first event's agent is
 * preempted right before it, in favour of the second event's agent, which gets the
 * CPU back from it right after the second event.  The first candidate (earliest
 * second event, then nearest first event) whose swapped run is clean, and in
 * which the swap really happened, is the window.
 *
 * Events are named as anchors name them: agent, site, occurrence of that site in
 * that agent (counted as the directed policy counts, i.e. without IPI acks and
 * retries after blocking, which are not decision points).  Anchored input
 * schedules survive the added preemptions; step preemptions may shift (minimize
 * first: it turns them into anchors).
 *
 * No file I/O; deterministic.  Cost: one replay per candidate pair, at most
 * BISECT_TRIES_MAX.
 */
#ifndef MMFUZZ_BISECT_H
#define MMFUZZ_BISECT_H

#include "exec.h"

#define BISECT_TRIES_MAX 20000

struct bisect_event {
	uint32_t step; /* in the failing run */
	int agent;
	uint32_t occurrence;
	uint32_t obj;
	uint8_t op;
	char site[SCN_NAME_BYTES];
};

struct bisect_result {
	struct sched_finding finding;	   /* of the failing run */
	struct bisect_event first, second; /* in the failing order */
	struct scenario swapped;	   /* second before first: clean */
	uint64_t tried;			   /* candidate pairs replayed */
	uint32_t steps;			   /* of the failing run */
};

/*
 * Find the window among the pairs with good <= first.step and second.step < bad
 * (bad 0: no bound).  Returns false with a message in err when @s does not apply
 * or replays clean, or when no pair's swap makes the run clean.
 */
bool race_bisect(const struct scenario *s, const struct exec_options *o, uint32_t good,
		 uint32_t bad, struct bisect_result *r, char *err, size_t err_bytes);

/*
 * A finding's signature, the campaign's deduplication key: one per bug, as a
 * kernel developer tells bugs apart.  Oracle and site say what broke and where it
 * was seen; many bugs end at the same check (a pinned page read by the device, the
 * final sync), so the signature also names the cause:
 *
 *   window   the race window bisect finds: the sites (without occurrence numbers)
 *            of the two conflicting events whose order decides the outcome;
 *   history  for a finding no swap of two events cures (the state was wrong before
 *            the agents ran, e.g. fork sharing a pinned page in the setup): the
 *            setup operations the finding needs (see history_of in bisect.c).
 *
 * Both are taken from the minimized form (minimize.h) of the scenario, where
 * schedule variants of one bug meet, and the window is an unordered pair; step
 * numbers, occurrence counts and agent numbers are left out.  So schedule variants
 * of one bug, and a finding and its minimized form, share the signature.  Cost:
 * one minimization and one bisection (a few hundred replays for the regressions;
 * at most BISECT_TRIES_MAX for the bisection).
 */
#define SIGNATURE_HISTORY_MAX 8
struct race_signature {
	uint64_t value;
	bool window; /* else history */
	struct sched_finding finding;
	char first[SCN_NAME_BYTES], second[SCN_NAME_BYTES];   /* window: the two sites */
	char history[SIGNATURE_HISTORY_MAX * SCN_NAME_BYTES]; /* "a, b, c" */
};

/* False, with a message in err, when @s does not apply or replays clean. */
bool race_signature(const struct scenario *s, const struct exec_options *o,
		    struct race_signature *sig, char *err, size_t err_bytes);

/* "window first <-> second" or "history a, b, c", for reports. */
void race_signature_cause(const struct race_signature *sig, char *buf, size_t buf_bytes);

#endif
