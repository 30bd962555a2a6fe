/* SPDX-License-Identifier: MIT */
/*
 * In-process schedule search over one scenario: random, PCT (depth d) or bounded
 * DFS (preemption bound b).  Stops at the first finding (or when DFS is
 * exhausted, or after a run budget) and can turn the failing run into a
 * directed schedule.
 */
#ifndef MMFUZZ_EXPLORE_H
#define MMFUZZ_EXPLORE_H

#include "exec.h"

enum explore_strategy { EXPLORE_RANDOM, EXPLORE_PCT, EXPLORE_DFS };

struct explore_config {
	enum explore_strategy strategy;
	uint64_t runs_max;
	double seconds_max; /* wall-clock budget, 0: none (checked every 64 runs) */
	uint64_t seed;
	int pct_depth;
	int dfs_bound;
	uint32_t random_mean_steps;
	/* every run takes the first run's schedule (random and PCT restart from the
	 * seed; a benchmark's measure of the model without a new interleaving per run) */
	bool same_schedule;
	struct exec_options exec;
};

struct explore_result {
	uint64_t runs;
	uint64_t steps;	    /* concurrent-phase steps over all runs */
	uint64_t agents_ns; /* with exec.time_phases: ns spent in the concurrent phase */
	uint64_t digest;    /* of every run's fingerprint (0 with exec.no_fingerprint) and
			     * finding signature, in order */
	bool found;
	bool exhausted;		  /* DFS only: every schedule within the bound was run */
	struct exec_result first; /* the failing run */
	struct scenario schedule; /* the failing run as a directed schedule */
	bool schedule_complete;	  /* false if the recorder overflowed */
};

void explore_config_default(struct explore_config *c);
int explore_strategy_parse(const char *name); /* -1 if unknown */
const char *explore_strategy_name(enum explore_strategy s);
void explore(const struct scenario *s, const struct explore_config *c, struct explore_result *r);
/* Monotonic wall-clock seconds (budgets and reports; never inside the model). */
double explore_now(void);

#endif
