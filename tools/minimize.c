/* SPDX-License-Identifier: MIT */
/*
 * Scenario minimization (see minimize.h).  Cost: ddmin needs O(n log n) replays
 * per list in the usual case and O(n^2) in the worst; with at most 48 preemptions
 * and 32 operations of a few hundred steps each that stays well under a second.
 */
#include "minimize.h"

#include <stdio.h>
#include <string.h>

#include "../core/oracle.h"
#include "../core/sbuf.h"

/* The lists ddmin works on, in the order the passes run. */
enum mz_list { MZ_PREEMPTS, MZ_OPS, MZ_SETUP, MZ_AGENTS, MZ_LISTS };

#define MZ_ITEMS_MAX  SCN_PREEMPT_MAX /* the longest list */
#define MZ_ROUNDS_MAX 16

_Static_assert(SCN_OPS_MAX <= MZ_ITEMS_MAX && SCN_SETUP_MAX <= MZ_ITEMS_MAX &&
		   SCN_AGENTS_MAX <= MZ_ITEMS_MAX,
	       "every list fits the item arrays");

struct mz {
	const struct exec_options *o;
	uint64_t signature;
	uint64_t runs;
	struct sched_directed d;
	struct exec_result r;
};

void minimize_stats_of(const struct scenario *s, struct minimize_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->preempts = s->preempt_count;
	st->ops = s->ops_count;
	st->setup = s->setup_count;
	for (int a = 0; a < SCN_AGENTS_MAX; a++)
		st->agents += exec_agent_has_ops(s, a);
}

/* Items of a list: positions in the list, or the agents that have operations. */
static int mz_items(const struct scenario *s, enum mz_list list, int *items)
{
	int n = 0;
	switch (list) {
	case MZ_PREEMPTS:
		for (int i = 0; i < s->preempt_count; i++)
			items[n++] = i;
		break;
	case MZ_OPS:
		for (int i = 0; i < s->ops_count; i++)
			items[n++] = i;
		break;
	case MZ_SETUP:
		for (int i = 0; i < s->setup_count; i++)
			items[n++] = i;
		break;
	case MZ_AGENTS:
		for (int a = 0; a < SCN_AGENTS_MAX; a++)
			if (exec_agent_has_ops(s, a))
				items[n++] = a;
		break;
	case MZ_LISTS:
		break;
	}
	return n;
}

static bool preempt_names(const struct scn_preempt *p, const bool *gone_agent)
{
	return gone_agent[p->target] || (p->anchored && gone_agent[p->agent]);
}

/* Compact @count elements of @size bytes at @base, dropping those with drop[i]. */
static int keep(void *base, size_t size, int count, const bool *drop)
{
	char *p = base;
	int m = 0;
	for (int i = 0; i < count; i++)
		if (!drop[i])
			memmove(p + (size_t)m++ * size, p + (size_t)i * size, size);
	return m;
}

/* @out = @s without the items whose @gone is set (gone is indexed like mz_items). */
static void mz_remove(const struct scenario *s, enum mz_list list, const int *items,
		      const bool *gone, int n, struct scenario *out)
{
	*out = *s;
	bool drop[MZ_ITEMS_MAX] = {false};
	bool gone_agent[SCN_SCHED_AGENTS] = {false};
	for (int k = 0; k < n; k++)
		if (gone[k]) {
			if (list == MZ_AGENTS)
				gone_agent[items[k]] = true;
			else
				drop[items[k]] = true;
		}
	/* a CPU's store-buffer drain and load agents go with it (memory arm64) */
	for (int a = 0; a < SCN_AGENTS_MAX; a++) {
		for (int q = 0; q < SB_QUEUES_PER_CPU; q++)
			gone_agent[SB_AGENT(a, q)] = gone_agent[a];
		for (int k = 0; k < LD_SLOTS_PER_CPU; k++)
			gone_agent[LD_AGENT(a, k)] = gone_agent[a];
	}
	int m = 0;
	switch (list) {
	case MZ_PREEMPTS:
		out->preempt_count =
		    keep(out->preempt, sizeof(out->preempt[0]), s->preempt_count, drop);
		break;
	case MZ_OPS:
		out->ops_count = keep(out->ops, sizeof(out->ops[0]), s->ops_count, drop);
		break;
	case MZ_SETUP:
		out->setup_count = keep(out->setup, sizeof(out->setup[0]), s->setup_count, drop);
		break;
	case MZ_AGENTS:
		for (int i = 0; i < s->ops_count; i++)
			if (!gone_agent[s->ops[i].agent])
				out->ops[m++] = s->ops[i];
		out->ops_count = m;
		m = 0;
		for (int i = 0; i < s->preempt_count; i++)
			if (!preempt_names(&s->preempt[i], gone_agent))
				out->preempt[m++] = s->preempt[i];
		out->preempt_count = m;
		break;
	case MZ_LISTS:
		break;
	}
}

/* Replay @s; true when it applies and gives the signature being kept. */
static bool mz_replay(struct mz *z, const struct scenario *s)
{
	char err[256];
	if (!exec_directed(s, &z->d, err, sizeof(err)))
		return false;
	exec_run(s, &z->d.base, z->o, &z->r);
	z->runs++;
	return z->r.finding && z->r.f.signature == z->signature;
}

/* Try @cur without the items in [lo, hi) (complement: all but those); keep it if it fails. */
static bool mz_try(struct mz *z, struct scenario *cur, enum mz_list list, const int *items, int n,
		   int lo, int hi, bool complement)
{
	bool gone[MZ_ITEMS_MAX];
	for (int k = 0; k < n; k++)
		gone[k] = (k >= lo && k < hi) != complement;
	static struct scenario cand;
	mz_remove(cur, list, items, gone, n, &cand);
	if (!mz_replay(z, &cand))
		return false;
	*cur = cand;
	return true;
}

/* ddmin over one list of @cur.  Returns true if anything was removed. */
static bool mz_ddmin(struct mz *z, struct scenario *cur, enum mz_list list)
{
	int items[MZ_ITEMS_MAX];
	int n = mz_items(cur, list, items);
	if (n == 0)
		return false;
	if (mz_try(z, cur, list, items, n, 0, n, false))
		return true; /* none of them matters */
	bool removed = false;
	int gran = 2;
	while (n >= 2) {
		int chunk = (n + gran - 1) / gran;
		bool progress = false;
		/* reduce to one chunk */
		for (int lo = 0; lo < n && !progress && gran > 2; lo += chunk)
			if (mz_try(z, cur, list, items, n, lo, lo + chunk < n ? lo + chunk : n,
				   true)) {
				progress = true;
				gran = 2;
			}
		/* reduce to a complement */
		for (int lo = 0; lo < n && !progress; lo += chunk)
			if (mz_try(z, cur, list, items, n, lo, lo + chunk < n ? lo + chunk : n,
				   false)) {
				progress = true;
				gran = gran > 2 ? gran - 1 : 2;
			}
		if (progress) {
			removed = true;
			n = mz_items(cur, list, items);
			if (n == 1 && mz_try(z, cur, list, items, n, 0, 1, false))
				n = 0;
			continue;
		}
		if (gran >= n)
			break;
		gran = 2 * gran < n ? 2 * gran : n;
	}
	return removed;
}

/*
 * A policy that repeats one interleaving under renamed agents: the decision before
 * step k picks the (renamed) agent that recorded step k.  It decides at every yield
 * point, as the directed policy does while anchors are pending, and writes down the
 * decisions that differ from the default as preemptions: anchored to the running
 * agent's site and occurrence when it could go on, "done" when it finished, by step
 * when it blocked.
 */
struct mz_follow {
	struct sched_policy base;
	const uint8_t *agents; /* agent of step k, renamed */
	uint32_t steps;
	struct scenario *out; /* receives the preemptions */
	bool overflow;
	/* occurrences so far of (agent, site), as the directed policy counts them */
	uint32_t seen_hash[SCN_SCHED_AGENTS][64];
	uint32_t seen_count[SCN_SCHED_AGENTS][64];
};

static uint32_t follow_occurrence(struct mz_follow *f, int agent, uint32_t name_hash)
{
	for (int i = 0; i < 64; i++) {
		if (f->seen_count[agent][i] == 0)
			f->seen_hash[agent][i] = name_hash;
		if (f->seen_hash[agent][i] == name_hash)
			return ++f->seen_count[agent][i];
	}
	f->overflow = true; /* more than 64 distinct sites before a preemption */
	return 1;
}

static void follow_begin(struct sched_policy *p)
{
	struct mz_follow *f = (struct mz_follow *)p;
	p->every_site = true;
	p->first_yields = true;
	f->out->preempt_count = 0;
	f->overflow = false;
	memset(f->seen_count, 0, sizeof(f->seen_count));
}

static int follow_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct mz_follow *f = (struct mz_follow *)p;
	*next_at = c->step + 1;
	int dflt = c->forced ? sched_lowest(c->runnable_mask) : c->current;
	uint32_t occurrence = 0;
	if (!c->forced && c->site)
		occurrence = follow_occurrence(f, c->current, c->site->name_hash);
	if (c->step >= f->steps || !(c->runnable_mask >> f->agents[c->step] & 1u))
		return dflt;
	int want = f->agents[c->step];
	if (want == dflt)
		return dflt;
	if (f->out->preempt_count == SCN_PREEMPT_MAX) {
		f->overflow = true;
		return want;
	}
	struct scn_preempt *sp = &f->out->preempt[f->out->preempt_count++];
	memset(sp, 0, sizeof(*sp));
	sp->target = (uint8_t)want;
	if (c->current >= 0 && (c->forced ? c->current_done : scn_site_writable(c->site->name))) {
		sp->anchored = true;
		sp->agent = (uint8_t)c->current;
		sp->occurrence = c->forced ? 1 : occurrence;
		snprintf(sp->site, sizeof(sp->site), "%s",
			 c->forced ? SCHED_SITE_DONE : c->site->name);
	} else {
		sp->step = c->step;
	}
	return want;
}

static bool follow_end(struct sched_policy *p)
{
	(void)p;
	return false;
}

static const struct sched_policy_ops follow_ops = {"follow", follow_begin, follow_decide,
						   follow_end};

/* @out = @s with agent a renamed perm[a] everywhere (setup, operations, preemptions). */
static void mz_rename(const struct scenario *s, const int *perm, struct scenario *out)
{
	*out = *s;
	for (int i = 0; i < s->setup_count; i++)
		out->setup[i].agent = (uint8_t)perm[s->setup[i].agent];
	for (int i = 0; i < s->ops_count; i++)
		out->ops[i].agent = (uint8_t)perm[s->ops[i].agent];
	for (int i = 0; i < s->preempt_count; i++) {
		out->preempt[i].agent = (uint8_t)perm[s->preempt[i].agent];
		out->preempt[i].target = (uint8_t)perm[s->preempt[i].target];
	}
}

/* Extend a renaming of the CPUs, perm[0..SCN_AGENTS_MAX), to their drain and load
 * agents. */
static void mz_perm_extend(int *perm)
{
	for (int a = 0; a < SCN_AGENTS_MAX; a++) {
		for (int q = 0; q < SB_QUEUES_PER_CPU; q++)
			perm[SB_AGENT(a, q)] = SB_AGENT(perm[a], q);
		for (int k = 0; k < LD_SLOTS_PER_CPU; k++)
			perm[LD_AGENT(a, k)] = LD_AGENT(perm[a], k);
	}
}

/* Next permutation of p[0..n) in lexicographic order; false after the last. */
static bool next_permutation(int *p, int n)
{
	int i = n - 2;
	while (i >= 0 && p[i] >= p[i + 1])
		i--;
	if (i < 0)
		return false;
	int j = n - 1;
	while (p[j] <= p[i])
		j--;
	int t = p[i];
	p[i] = p[j];
	p[j] = t;
	for (int a = i + 1, b = n - 1; a < b; a++, b--) {
		t = p[a];
		p[a] = p[b];
		p[b] = t;
	}
	return true;
}

static int step_preempts(const struct scenario *s)
{
	int n = 0;
	for (int i = 0; i < s->preempt_count; i++)
		n += !s->preempt[i].anchored;
	return n;
}

/*
 * Rewrite the schedule of @cur: the same interleaving, written with the fewest
 * preemptions, over every numbering of the agents.  At a forced point (the running
 * agent blocked or finished) the default is the lowest-numbered runnable agent,
 * so the right numbering turns preemptions into defaults; anchors replace step
 * numbers where they can (they survive the removal of operations).  Keeps the
 * first candidate, in lexicographic order of permutations, with fewer preemptions,
 * or as many with fewer step preemptions; true if it kept one.
 */
static bool mz_rewrite(struct mz *z, struct scenario *cur)
{
	static uint8_t orig[SCHED_TRACE_MAX], agents[SCHED_TRACE_MAX];
	if (!mz_replay(z, cur))
		return false;
	uint32_t steps;
	const struct sched_trace_entry *t = sched_trace(&steps);
	for (uint32_t k = 0; k < steps; k++)
		orig[k] = t[k].agent;
	int perm[SCN_SCHED_AGENTS];
	for (int a = 0; a < SCN_AGENTS_MAX; a++)
		perm[a] = a;
	static struct scenario cand;
	static struct mz_follow f;
	do {
		mz_perm_extend(perm);
		for (uint32_t k = 0; k < steps; k++)
			agents[k] = (uint8_t)perm[orig[k]];
		mz_rename(cur, perm, &cand);
		memset(&f, 0, sizeof(f));
		f.base.ops = &follow_ops;
		f.agents = agents;
		f.steps = steps;
		f.out = &cand;
		static struct exec_result fr;
		exec_run(&cand, &f.base, z->o, &fr);
		z->runs++;
		if (f.overflow || !fr.finding || fr.f.signature != z->signature)
			continue;
		bool better = cand.preempt_count < cur->preempt_count ||
			      (cand.preempt_count == cur->preempt_count &&
			       step_preempts(&cand) < step_preempts(cur));
		if (better && mz_replay(z, &cand)) {
			*cur = cand;
			return true;
		}
	} while (next_permutation(perm, SCN_AGENTS_MAX));
	return false;
}

/* Drop the preemptions of @cur that do not fire, last first, as long as it still fails. */
static void mz_drop_unfired(struct mz *z, struct scenario *cur)
{
	for (int i = cur->preempt_count - 1; i >= 0; i--) {
		if (!mz_replay(z, cur) || z->d.status[i] == SCHED_PREEMPT_FIRED)
			continue;
		int items[MZ_ITEMS_MAX];
		int n = mz_items(cur, MZ_PREEMPTS, items);
		mz_try(z, cur, MZ_PREEMPTS, items, n, i, i + 1, false);
	}
}

static void mz_set_expect(struct scenario *s, const struct sched_finding *f)
{
	s->expect = mm_oracle_by_name(f->oracle);
	s->expect_site[0] = 0;
	if (f->site && strlen(f->site->name) < sizeof(s->expect_site))
		snprintf(s->expect_site, sizeof(s->expect_site), "%s", f->site->name);
}

bool minimize(const struct scenario *in, const struct exec_options *o, struct minimize_result *r,
	      char *err, size_t err_bytes)
{
	static struct mz z;
	memset(r, 0, sizeof(*r));
	memset(&z, 0, sizeof(z));
	z.o = o;
	if (!exec_directed(in, &z.d, err, err_bytes))
		return false;
	exec_run(in, &z.d.base, o, &z.r);
	z.runs++;
	if (!z.r.finding) {
		snprintf(err, err_bytes, "replays clean: nothing to minimize");
		return false;
	}
	r->finding = z.r.f;
	z.signature = z.r.f.signature;
	minimize_stats_of(in, &r->before);
	r->before.steps = z.r.steps;

	r->out = *in;
	bool changed = true;
	while (changed && r->rounds < MZ_ROUNDS_MAX) {
		changed = false;
		for (int list = 0; list < MZ_LISTS; list++)
			changed |= mz_ddmin(&z, &r->out, (enum mz_list)list);
		changed |= mz_rewrite(&z, &r->out);
		r->rounds++;
	}
	mz_drop_unfired(&z, &r->out);

	SCHED_ASSERT(mz_replay(&z, &r->out)); /* every step kept the signature */
	r->all_fired = true;
	for (int i = 0; i < z.d.count; i++)
		r->all_fired &= z.d.status[i] == SCHED_PREEMPT_FIRED;
	mz_set_expect(&r->out, &z.r.f);
	r->out.knobs = o->knobs;
	minimize_stats_of(&r->out, &r->after);
	r->after.steps = z.r.steps;
	r->runs = z.runs;
	return true;
}
