/* SPDX-License-Identifier: MIT */
/*
 * Minimizing a failing scenario: delta debugging (Zeller's ddmin) over the
 * preemptions, then the agents' operations, then the setup lines, then whole
 * agents (an agent's operations and every preemption naming it together), then a
 * renumbering of the agents that lets the scheduler's default choice (the lowest
 * runnable agent) replace preemptions, repeated until a round removes nothing.
 * A candidate is kept when it replays to a finding with the same oracle and sites (the finding
 * signature is then computed on the result: bisect.h). Finally every preemption that does not fire
 * is dropped, so the result replays with `replay --strict`.
 *
 * Deterministic: the candidates depend only on the input and the replays, never on
 * clocks.  No file I/O: the caller loads and writes scenarios.
 *
 * Leaves out: shrinking what is kept (pages=, values, addresses), and schedules
 * that need a different interleaving to fail with fewer preemptions (that is a
 * search: explore --strategy dfs).
 */
#ifndef MMFUZZ_MINIMIZE_H
#define MMFUZZ_MINIMIZE_H

#include "exec.h"

struct minimize_stats {
	int preempts, ops, setup, agents; /* agents: those with operations */
	uint32_t steps;			  /* of the concurrent phase */
};

struct minimize_result {
	struct sched_finding finding; /* the signature kept */
	struct minimize_stats before, after;
	uint64_t runs;	     /* replays done */
	int rounds;	     /* rounds of the four passes */
	bool all_fired;	     /* every preemption of out fires */
	struct scenario out; /* the minimized scenario; expect set from the finding */
};

/*
 * Minimize @in under @o (knobs).  Returns false, with a message in err, when @in
 * does not apply (exit 125 territory) or replays clean: there is nothing to keep.
 */
bool minimize(const struct scenario *in, const struct exec_options *o, struct minimize_result *r,
	      char *err, size_t err_bytes);

/* Counts of @s as minimize reports them (steps left 0). */
void minimize_stats_of(const struct scenario *s, struct minimize_stats *st);

#endif
