/* SPDX-License-Identifier: MIT */
/* Schedule search (see explore.h).  One loop serves every strategy. */
#include "explore.h"

#include <string.h>
#include <time.h>

static const char *const strategy_names[] = {"random", "pct", "dfs"};

void explore_config_default(struct explore_config *c)
{
	memset(c, 0, sizeof(*c));
	c->strategy = EXPLORE_RANDOM;
	c->runs_max = 100000;
	c->seed = 1;
	c->pct_depth = 3;
	c->dfs_bound = 2;
	c->random_mean_steps = 16;
	exec_options_default(&c->exec);
	c->exec.snapshot = true; /* every run after the first restores the setup */
}

int explore_strategy_parse(const char *name)
{
	for (int i = 0; i < 3; i++)
		if (!strcmp(name, strategy_names[i]))
			return i;
	return -1;
}

const char *explore_strategy_name(enum explore_strategy s)
{
	return strategy_names[s];
}

double explore_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

union explore_policy {
	struct sched_random random;
	struct sched_pct pct;
	struct sched_dfs dfs;
};

static struct sched_policy *explore_policy_init(union explore_policy *u,
						const struct explore_config *c)
{
	switch (c->strategy) {
	case EXPLORE_PCT:
		sched_pct_init(&u->pct, c->seed, c->pct_depth);
		return &u->pct.base;
	case EXPLORE_DFS:
		sched_dfs_init(&u->dfs, c->dfs_bound);
		return &u->dfs.base;
	case EXPLORE_RANDOM:
	default:
		sched_random_init(&u->random, c->seed, c->random_mean_steps);
		return &u->random.base;
	}
}

void explore(const struct scenario *s, const struct explore_config *c, struct explore_result *r)
{
	memset(r, 0, sizeof(*r));
	SCHED_ASSERT(!c->same_schedule || c->strategy != EXPLORE_DFS);
	union explore_policy u;
	struct sched_policy *inner = explore_policy_init(&u, c);
	static struct exec_recorder rec;
	static struct exec_result res;
	exec_recorder_init(&rec, inner);
	double deadline = c->seconds_max > 0 ? explore_now() + c->seconds_max : 0;
	while (r->runs < c->runs_max) {
		/* a clock read costs ~20 ns, a run ~5 us: every 64 runs is plenty */
		if (deadline && r->runs % 64 == 0 && r->runs && explore_now() > deadline)
			break;
		if (c->same_schedule && r->runs)
			explore_policy_init(&u, c); /* from its seed again: the same decisions */
		exec_run(s, &rec.base, &c->exec, &res);
		r->runs++;
		r->steps += res.steps;
		/* FNV-1a-like over what each run produced: equal digests, equal runs */
		r->digest = (r->digest ^ res.fingerprint ^ (res.finding ? res.f.signature : 0)) *
			    0x100000001b3ull;
		r->agents_ns += res.agents_ns;
		bool more = rec.base.ops->end(&rec.base);
		if (res.finding) {
			r->found = true;
			r->first = res;
			r->schedule = *s;
			r->schedule.knobs = c->exec.knobs;
			r->schedule.expect = -1;
			r->schedule.expect_site[0] = 0;
			r->schedule.preempt_count = rec.count;
			memcpy(r->schedule.preempt, rec.preempt, sizeof(rec.preempt));
			r->schedule_complete = !rec.overflow;
			break;
		}
		if (!more) {
			r->exhausted = true;
			break;
		}
	}
	if (c->strategy == EXPLORE_DFS)
		sched_dfs_fini(&u.dfs);
}
