/* SPDX-License-Identifier: MIT */
/*
 * Scheduling policies behind one interface.  At a decision point the scheduler
 * describes the situation (struct sched_choice) and the policy names the agent that
 * records the next step.  A decision is *forced* when the current agent cannot go on
 * (it blocked or finished, or none runs yet); otherwise choosing another agent is a
 * preemption.  The policy also says at which step it next wants to be asked, so
 * steps in between cost nothing.
 *
 *   directed  a list of preemptions, by step or anchored to (agent, site, occurrence)
 *   random    switch at geometric intervals to a uniformly chosen runnable agent
 *   pct       PCT (Burckhardt et al., ASPLOS'10) with depth d
 *   dfs       exhaustive, preemption-bounded depth-first search (CHESS-style)
 *
 * Default everywhere: keep the current agent until it blocks or finishes; at a forced
 * point take the lowest-numbered runnable agent.
 */
#ifndef MMFUZZ_POLICY_H
#define MMFUZZ_POLICY_H

#include "sched.h"

struct sched_choice {
	uint32_t step;
	int current;	   /* agent that was running; SCHED_NO_AGENT at the start */
	bool forced;	   /* current is blocked, done or absent */
	bool current_done; /* forced because current just finished */
	uint32_t runnable_mask;
	const struct sched_site *site; /* current's pending access; NULL when forced */
};

struct sched_policy;

struct sched_policy_ops {
	const char *name;
	/* Before each execution. */
	void (*begin)(struct sched_policy *p);
	/* Return the agent for the next step (a bit of runnable_mask) and set
	 * *next_at (> c->step; UINT32_MAX: only at forced points). */
	int (*decide)(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at);
	/* After each execution: false when there is nothing left to explore. */
	bool (*end)(struct sched_policy *p);
};

struct sched_policy {
	const struct sched_policy_ops *ops;
	bool every_site;   /* decide at every yield point (anchors, DFS) */
	bool first_yields; /* with every_site: also at an agent's first yield (anchors) */
};

static inline int sched_lowest(uint32_t mask)
{
	return mask ? __builtin_ctz(mask) : SCHED_NO_AGENT;
}

/* ---- directed -------------------------------------------------------------------- */

#define SCHED_PREEMPT_MAX 64
#define SCHED_SITE_DONE	  "done" /* anchor name: the forced point after the agent finished */

struct sched_preempt {
	bool anchored;
	int agent;	     /* anchored: whose site */
	uint32_t name_hash;  /* anchored: XXH3 of the site name */
	uint32_t occurrence; /* anchored: 1-based */
	uint32_t step;	     /* by step */
	int target;
};

enum sched_preempt_status { SCHED_PREEMPT_PENDING, SCHED_PREEMPT_FIRED, SCHED_PREEMPT_SKIPPED };

struct sched_directed {
	struct sched_policy base;
	struct sched_preempt list[SCHED_PREEMPT_MAX];
	int count;
	/* per execution */
	enum sched_preempt_status status[SCHED_PREEMPT_MAX];
	uint32_t seen[SCHED_PREEMPT_MAX]; /* anchored: occurrences so far */
	uint32_t fired_step[SCHED_PREEMPT_MAX];
};

void sched_directed_init(struct sched_directed *d);
void sched_directed_add(struct sched_directed *d, const struct sched_preempt *p);
uint32_t sched_name_hash(const char *name);

/* ---- random -------------------------------------------------------------------------- */

struct sched_random {
	struct sched_policy base;
	uint64_t seed, state;
	uint32_t mean_steps; /* mean distance between switch points */
	uint64_t run;
};
void sched_random_init(struct sched_random *r, uint64_t seed, uint32_t mean_steps);

/* ---- PCT ----------------------------------------------------------------------------- */

#define SCHED_PCT_DEPTH_MAX 8
/* Agents below this get their initial priorities from the draws PCT always made
 * (with 8 agents); the others are inserted among them afterwards (pct_begin). */
#define SCHED_PCT_AGENTS_BASE SCHED_OP_AGENTS_MAX
struct sched_pct {
	struct sched_policy base;
	uint64_t seed, state;
	int depth;
	uint32_t steps_estimate; /* k: learnt from the previous execution */
	int prio[SCHED_AGENTS_MAX];
	uint32_t change_at[SCHED_PCT_DEPTH_MAX];
	int changes_done;
	uint64_t run;
};
void sched_pct_init(struct sched_pct *p, uint64_t seed, int depth);

/* ---- bounded DFS --------------------------------------------------------------------- */

#define SCHED_DFS_DEPTH_MAX SCHED_TRACE_MAX
struct sched_dfs_point {
	uint32_t step;
	uint32_t runnable_mask;
	int8_t current; /* SCHED_NO_AGENT when forced */
	int8_t chosen;
	uint8_t preempts_before;
};
struct sched_dfs {
	struct sched_policy base;
	int bound;
	struct sched_dfs_point *points; /* SCHED_DFS_DEPTH_MAX, allocated once */
	uint32_t count;			/* points recorded in the current execution */
	uint32_t prefix;		/* points to replay */
	uint8_t preempts;
	bool exhausted;
	uint64_t executions;
};
void sched_dfs_init(struct sched_dfs *d, int bound);
void sched_dfs_fini(struct sched_dfs *d);

/* Deterministic PRNG shared by the policies (splitmix64). */
static inline uint64_t sched_prng(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

#endif
