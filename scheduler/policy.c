/* SPDX-License-Identifier: MIT */
/*
 * The four policies (see policy.h).  Each is a small state machine driven by
 * decide(); none looks at anything but the struct sched_choice it is given and its
 * own seeded PRNG, so an execution is a pure function of (scenario, policy state).
 */
#include "policy.h"

#include <stdlib.h>
#include <string.h>

static int default_choice(const struct sched_choice *c)
{
	if (!c->forced)
		return c->current;
	return sched_lowest(c->runnable_mask);
}

/* ---- directed --------------------------------------------------------------------- */

static uint32_t done_hash(void)
{
	static uint32_t h;
	if (!h)
		h = sched_name_hash(SCHED_SITE_DONE);
	return h;
}

static void directed_begin(struct sched_policy *p)
{
	struct sched_directed *d = (struct sched_directed *)p;
	p->every_site = false;
	p->first_yields = true; /* an anchor counts every occurrence of its site */
	for (int i = 0; i < d->count; i++) {
		d->status[i] = SCHED_PREEMPT_PENDING;
		d->seen[i] = 0;
		d->fired_step[i] = 0;
		if (d->list[i].anchored && d->list[i].name_hash != done_hash())
			p->every_site = true;
	}
}

static bool directed_hit(struct sched_directed *d, int i, const struct sched_choice *c)
{
	const struct sched_preempt *pr = &d->list[i];
	if (!pr->anchored)
		return c->step >= pr->step;
	if (c->current != pr->agent)
		return false;
	if (pr->name_hash == done_hash())
		return c->forced && c->current_done;
	if (c->forced || !c->site || c->site->name_hash != pr->name_hash)
		return false;
	return ++d->seen[i] == pr->occurrence;
}

static int directed_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct sched_directed *d = (struct sched_directed *)p;
	int choice = default_choice(c);
	bool fired = false, anchors_left = false;
	uint32_t at = UINT32_MAX;
	for (int i = 0; i < d->count; i++) {
		if (d->status[i] != SCHED_PREEMPT_PENDING)
			continue;
		/* a second preemption due at a step where one already fired waits for the
		 * next decision (an agent that runs no step forces one at the same step) */
		if (fired && !d->list[i].anchored && c->step >= d->list[i].step) {
			at = c->step;
			continue;
		}
		if (directed_hit(d, i, c)) {
			int t = d->list[i].target;
			bool applies = !fired && (c->runnable_mask >> t & 1u) &&
				       (c->forced || t != c->current);
			d->status[i] = applies ? SCHED_PREEMPT_FIRED : SCHED_PREEMPT_SKIPPED;
			d->fired_step[i] = c->step;
			if (applies) {
				choice = t;
				fired = true;
			}
			continue;
		}
		if (d->list[i].anchored)
			anchors_left |= d->list[i].name_hash != done_hash();
		else if (d->list[i].step < at)
			at = d->list[i].step;
	}
	p->every_site = anchors_left;
	*next_at = at > c->step ? at : c->step + 1;
	return choice;
}

static bool directed_end(struct sched_policy *p)
{
	(void)p;
	return false;
}

static const struct sched_policy_ops directed_ops = {"directed", directed_begin, directed_decide,
						     directed_end};

void sched_directed_init(struct sched_directed *d)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &directed_ops;
}

void sched_directed_add(struct sched_directed *d, const struct sched_preempt *p)
{
	SCHED_ASSERT(d->count < SCHED_PREEMPT_MAX);
	d->list[d->count++] = *p;
}

/* ---- random ---------------------------------------------------------------------------- */

/*
 * x % n for the small n of agent counts, the same value as the plain division:
 * a 64-bit divide by a variable costs ~30-40 cycles, by a constant a multiply.
 */
static uint64_t mod_small(uint64_t x, uint32_t n)
{
	switch (n) {
	case 1:
		return 0;
	case 2:
		return x % 2u;
	case 3:
		return x % 3u;
	case 4:
		return x % 4u;
	case 5:
		return x % 5u;
	case 6:
		return x % 6u;
	case 7:
		return x % 7u;
	case 8:
		return x % 8u;
	default:
		return (n & (n - 1u)) == 0 ? x & (n - 1u) : x % n;
	}
}

static int pick_uniform(uint64_t *state, uint32_t mask)
{
	int n = __builtin_popcount(mask);
	int k = (int)mod_small(sched_prng(state), (uint32_t)n);
	/* the k-th set bit, lowest first: drop k of them */
	for (; k > 0 && mask; k--)
		mask &= mask - 1u;
	return mask ? __builtin_ctz(mask) : SCHED_NO_AGENT;
}

static void random_begin(struct sched_policy *p)
{
	struct sched_random *r = (struct sched_random *)p;
	r->state = r->seed ^ (r->run++ * 0xd1b54a32d192ed03ull);
}

static int random_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct sched_random *r = (struct sched_random *)p;
	*next_at = c->step + 1 + (uint32_t)mod_small(sched_prng(&r->state), 2u * r->mean_steps);
	return pick_uniform(&r->state, c->runnable_mask);
}

static bool random_end(struct sched_policy *p)
{
	(void)p;
	return true;
}

static const struct sched_policy_ops random_ops = {"random", random_begin, random_decide,
						   random_end};

void sched_random_init(struct sched_random *r, uint64_t seed, uint32_t mean_steps)
{
	memset(r, 0, sizeof(*r));
	r->base.ops = &random_ops;
	r->seed = seed;
	r->mean_steps = mean_steps ? mean_steps : 1;
}

/* ---- PCT ----------------------------------------------------------------------------------- */

static void pct_begin(struct sched_policy *p)
{
	struct sched_pct *t = (struct sched_pct *)p;
	t->state = t->seed ^ (t->run++ * 0xd1b54a32d192ed03ull);
	/* initial priorities: a random permutation of depth .. depth+n-1 */
	int perm[SCHED_PCT_AGENTS_BASE];
	for (int i = 0; i < SCHED_PCT_AGENTS_BASE; i++)
		perm[i] = i;
	for (int i = SCHED_PCT_AGENTS_BASE - 1; i > 0; i--) {
		int j = (int)(sched_prng(&t->state) % (uint64_t)(i + 1));
		int tmp = perm[i];
		perm[i] = perm[j];
		perm[j] = tmp;
	}
	/* d-1 change points in [1, k], kept sorted */
	uint32_t k = t->steps_estimate ? t->steps_estimate : 64; /* unknown before the first run */
	for (int i = 0; i < t->depth - 1; i++)
		t->change_at[i] = 1 + (uint32_t)(sched_prng(&t->state) % k);
	for (int i = 1; i < t->depth - 1; i++)
		for (int j = i; j > 0 && t->change_at[j - 1] > t->change_at[j]; j--) {
			uint32_t tmp = t->change_at[j];
			t->change_at[j] = t->change_at[j - 1];
			t->change_at[j - 1] = tmp;
		}
	t->changes_done = 0;
	/*
	 * The agents from SCHED_PCT_AGENTS_BASE up (store-buffer drains) are
	 * inserted at random places of that order, drawn after everything above:
	 * the base agents keep the relative order, and the change points, they had
	 * when there were only SCHED_PCT_AGENTS_BASE agents, so runs without the
	 * others are the runs PCT always made.  Inserting at a uniform place makes
	 * the whole order a uniform permutation.
	 */
	int order[SCHED_AGENTS_MAX], n = 0; /* agents, lowest priority first */
	for (int p = 0; p < SCHED_PCT_AGENTS_BASE; p++)
		for (int a = 0; a < SCHED_PCT_AGENTS_BASE; a++)
			if (perm[a] == p)
				order[n++] = a;
	for (int a = SCHED_PCT_AGENTS_BASE; a < SCHED_AGENTS_MAX; a++) {
		int at = (int)(sched_prng(&t->state) % (uint64_t)(n + 1));
		memmove(&order[at + 1], &order[at], (size_t)(n - at) * sizeof(order[0]));
		order[at] = a;
		n++;
	}
	for (int i = 0; i < n; i++)
		t->prio[order[i]] = t->depth + i;
}

static int pct_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct sched_pct *t = (struct sched_pct *)p;
	while (t->changes_done < t->depth - 1 && c->step >= t->change_at[t->changes_done]) {
		/* change point i: the running agent drops below every initial priority */
		if (c->current >= 0)
			t->prio[c->current] = t->depth - 1 - t->changes_done;
		t->changes_done++;
	}
	int best = SCHED_NO_AGENT;
	for (uint32_t rest = c->runnable_mask; rest; rest &= rest - 1u) {
		int a = __builtin_ctz(rest); /* lowest first: the lowest wins a tie */
		if (best < 0 || t->prio[a] > t->prio[best])
			best = a;
	}
	uint32_t at = UINT32_MAX;
	if (t->changes_done < t->depth - 1)
		at = t->change_at[t->changes_done];
	*next_at = at > c->step ? at : c->step + 1;
	return best;
}

static bool pct_end(struct sched_policy *p)
{
	struct sched_pct *t = (struct sched_pct *)p;
	if (sched_steps() > t->steps_estimate)
		t->steps_estimate = sched_steps();
	return true;
}

static const struct sched_policy_ops pct_ops = {"pct", pct_begin, pct_decide, pct_end};

void sched_pct_init(struct sched_pct *p, uint64_t seed, int depth)
{
	memset(p, 0, sizeof(*p));
	SCHED_ASSERT(depth >= 1 && depth <= SCHED_PCT_DEPTH_MAX);
	p->base.ops = &pct_ops;
	p->seed = seed;
	p->depth = depth;
	p->steps_estimate = 0; /* learnt: the longest execution seen */
}

/* ---- bounded DFS ------------------------------------------------------------------------------
 */

static void dfs_begin(struct sched_policy *p)
{
	struct sched_dfs *d = (struct sched_dfs *)p;
	d->count = 0;
	d->preempts = 0;
}

static int dfs_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct sched_dfs *d = (struct sched_dfs *)p;
	int dflt = default_choice(c);
	*next_at = c->step + 1;
	if (__builtin_popcount(c->runnable_mask) <= 1)
		return dflt;
	SCHED_ASSERT(d->count < SCHED_DFS_DEPTH_MAX);
	struct sched_dfs_point *pt = &d->points[d->count];
	int8_t cur = c->forced ? SCHED_NO_AGENT : (int8_t)c->current;
	if (d->count < d->prefix) {
		/* replaying: the model must present the very same choice (determinism) */
		SCHED_ASSERT(pt->runnable_mask == c->runnable_mask && pt->current == cur &&
			     pt->step == c->step);
	} else {
		*pt = (struct sched_dfs_point){c->step, c->runnable_mask, cur, (int8_t)dflt,
					       d->preempts};
	}
	d->count++;
	if (cur >= 0 && pt->chosen != cur)
		d->preempts++;
	return pt->chosen;
}

/* Next alternative after @chosen: the default first, then the others ascending. */
static int dfs_next_alt(const struct sched_dfs_point *pt, int chosen)
{
	int dflt = pt->current >= 0 ? pt->current : sched_lowest(pt->runnable_mask);
	uint32_t others = pt->runnable_mask & ~(1u << dflt);
	if (chosen != dflt)
		others &= ~((2u << chosen) - 1);
	return sched_lowest(others);
}

static bool dfs_end(struct sched_policy *p)
{
	struct sched_dfs *d = (struct sched_dfs *)p;
	d->executions++;
	for (int i = (int)d->count - 1; i >= 0; i--) {
		struct sched_dfs_point *pt = &d->points[i];
		int alt = dfs_next_alt(pt, pt->chosen);
		if (alt < 0)
			continue;
		int cost = pt->current >= 0 && alt != pt->current;
		if (pt->preempts_before + cost > d->bound)
			continue;
		pt->chosen = (int8_t)alt;
		d->prefix = (uint32_t)i + 1;
		return true;
	}
	d->exhausted = true;
	return false;
}

static const struct sched_policy_ops dfs_ops = {"dfs", dfs_begin, dfs_decide, dfs_end};

void sched_dfs_init(struct sched_dfs *d, int bound)
{
	memset(d, 0, sizeof(*d));
	d->base.ops = &dfs_ops;
	d->base.every_site = true;
	d->bound = bound;
	d->points = calloc(SCHED_DFS_DEPTH_MAX, sizeof(d->points[0]));
	SCHED_ASSERT(d->points);
}

void sched_dfs_fini(struct sched_dfs *d)
{
	free(d->points);
	d->points = NULL;
}
