/* SPDX-License-Identifier: MIT */
/*
 * The harness's schedule search and scenario energy: see schedule_search.h.
 * Everything an input runs is a function of its bytes; what this file remembers
 * across inputs (novelty, budgets, family energy, hints) only decides how much
 * of that to run, or what the mutator writes next.
 */
#include "schedule_search.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "../scheduler/feedback.h"
#include "../scheduler/sched.h"

/* ---- hashes --------------------------------------------------------------------- */

static void hash_op(XXH3_state_t *h, const struct scn_op *op, bool shape_only)
{
	uint8_t b[8] = {op->kind, op->agent,  op->proc,	 op->file,
			op->anon, op->shared, op->write, op->advice};
	XXH3_64bits_update(h, b, sizeof(b));
	if (shape_only)
		return;
	uint64_t v[3] = {op->addr, op->pages, op->value};
	XXH3_64bits_update(h, v, sizeof(v));
}

/* Field by field: a decoded scenario's padding is not part of it. */
uint64_t search_scenario_hash(const struct scenario *s)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	uint8_t head[4] = {s->arch, s->tlb_broadcast, (uint8_t)s->setup_count,
			   (uint8_t)s->ops_count};
	XXH3_64bits_update(&h, head, sizeof(head));
	for (int i = 0; i < s->setup_count; i++)
		hash_op(&h, &s->setup[i], false);
	for (int i = 0; i < s->ops_count; i++)
		hash_op(&h, &s->ops[i], false);
	return XXH3_64bits_digest(&h);
}

uint64_t search_family_hash(const struct scenario *s)
{
	XXH3_state_t h;
	XXH3_64bits_reset(&h);
	uint8_t head[2] = {s->arch, (uint8_t)s->setup_count};
	XXH3_64bits_update(&h, head, sizeof(head));
	for (int i = 0; i < s->setup_count; i++)
		hash_op(&h, &s->setup[i], true);
	return XXH3_64bits_digest(&h);
}

/* ---- novelty --------------------------------------------------------------------- */

#define NOVELTY_BITS 65536
static uint64_t seen[NOVELTY_BITS / 64];
static bool novel;

/* What search_novel_features() passes along: the caller's own use of each feature. */
struct note_also {
	sched_feature_fn fn;
	void *arg;
};

static void note_feature(uint32_t feature, void *arg)
{
	const struct note_also *also = arg;
	if (also->fn)
		also->fn(feature, also->arg);
	uint32_t i = feature % NOVELTY_BITS;
	if (!(seen[i / 64] >> (i % 64) & 1)) {
		seen[i / 64] |= 1ull << (i % 64);
		novel = true;
	}
}

bool search_novel_features(uint32_t feedback_kinds, sched_feature_fn also, void *also_arg)
{
	novel = false;
	sched_feedback(feedback_kinds, note_feature, &(struct note_also){also, also_arg});
	return novel;
}

/* ---- budgets ---------------------------------------------------------------------- */

#define SCENARIOS 8192
#define STALE_MAX 3 /* SEARCH_BUDGET_MAX >> 3 == SEARCH_BUDGET_MIN */
static struct {
	uint64_t hash;
	uint8_t stale; /* searches in a row without a new feature */
} scenarios[SCENARIOS];

_Static_assert(SEARCH_BUDGET_MAX >> STALE_MAX == SEARCH_BUDGET_MIN, "budget range");

int search_budget(uint64_t scenario)
{
	uint32_t i = (uint32_t)(scenario % SCENARIOS);
	if (scenarios[i].hash != scenario)
		return SEARCH_BUDGET_MAX; /* never seen (or forgotten) */
	return SEARCH_BUDGET_MAX >> scenarios[i].stale;
}

/* ---- family energy ------------------------------------------------------------------ */

#define FAMILIES	1024
#define FAMILY_PATIENCE 2000 /* inputs without a new feature before a family slows */
#define ENERGY_LEVELS	4    /* at most one input in 2^4 */
static struct {
	uint64_t hash;
	uint64_t last_novel; /* inputs run when the family last brought a new feature */
} families[FAMILIES];
static uint64_t inputs_run, last_novel_any;

bool search_family_admits(uint64_t family, uint64_t input_hash)
{
	uint32_t i = (uint32_t)(family % FAMILIES);
	if (families[i].hash != family)
		return true;
	uint64_t age = inputs_run - families[i].last_novel;
	/* patience grows while no family progresses: then nobody is cut */
	uint64_t window = 2 * (inputs_run - last_novel_any);
	if (window < FAMILY_PATIENCE)
		window = FAMILY_PATIENCE;
	int level = 0;
	while (level < ENERGY_LEVELS && age > window << level)
		level++;
	return (input_hash & ((1ull << level) - 1)) == 0;
}

void search_record(uint64_t scenario, uint64_t family, bool is_novel)
{
	uint32_t i = (uint32_t)(scenario % SCENARIOS);
	if (scenarios[i].hash != scenario)
		scenarios[i].hash = scenario, scenarios[i].stale = 0;
	else if (is_novel)
		scenarios[i].stale = 0;
	else if (scenarios[i].stale < STALE_MAX)
		scenarios[i].stale++;
	inputs_run++;
	uint32_t f = (uint32_t)(family % FAMILIES);
	if (families[f].hash != family) {
		families[f].hash = family;
		families[f].last_novel = inputs_run;
	}
	if (is_novel)
		families[f].last_novel = last_novel_any = inputs_run;
}

/* ---- aims: reads-from pairs of the last run ------------------------------------------- */

/*
 * The order in which an input's aims are tried: windows, then after and before,
 * then later.  Measured (bench/search-kinds.sh: each knob's stripped scenario, 10
 * inputs, all 200 schedules of each input's search run; bench/search-kinds.txt):
 * the runs of a window aim found their knob 9.3% of the time (on 6 knobs), after
 * and before 6.9% and 6.7% (8 and 9 knobs), later 3.5% (3 knobs; 1.1% before aims
 * at finished agents were dropped); PCT d=3 2.4%, random 3.1%, PCT d=2 2.2%.
 * Windows are also the fewest (0-5 an input): first, they cost the others little.
 */
#define AIM_TIERS 3
static const int aim_tier[SEARCH_AIM_KINDS] = {[SEARCH_AIM_WINDOW] = 0,
					       [SEARCH_AIM_AFTER] = 1,
					       [SEARCH_AIM_BEFORE] = 1,
					       [SEARCH_AIM_LATER] = 2};

#define AIM_OBJECTS	256
#define AIM_UNLOCK_SCAN 64 /* the writer's own entries looked at for its unlocks */
#define AIMS_PER_PAIR	4  /* at most */
static struct {
	uint32_t gen, obj, step, site; /* step: also the entry's index in the trace */
	uint8_t agent;
} writers[AIM_OBJECTS];
static uint32_t aim_gen;

/*
 * The step of the last of the releases @agent makes in a row after step @from
 * (before step @to; a step is its trace entry's index), when it makes one within
 * its next AIM_UNLOCK_SCAN entries; else UINT32_MAX.  The end of the critical
 * section a write was in: the window where a lock is dropped and the work that
 * must follow it (a TLB flush, a barrier) has not run yet.
 */
static uint32_t critical_section_end(const struct sched_trace_entry *t, uint32_t from, uint32_t to,
				     uint8_t agent)
{
	uint32_t end = UINT32_MAX;
	int own = 0;
	for (uint32_t k = from + 1; k < to && own < AIM_UNLOCK_SCAN; k++) {
		if (t[k].agent != agent)
			continue;
		own++;
		if (t[k].op == SCHED_OP_RELEASE)
			end = k;
		else if (end != UINT32_MAX)
			break; /* the run of releases is over */
	}
	return end;
}

/*
 * Aim @a, unless it is no switch: its agent runs there, or had finished by then
 * (in a serial own run, the writer of most pairs a later reader's aim would go
 * back to); or another pair's aim is the same.
 */
static void aim_add(struct search_aim *aims, int *count, const struct sched_trace_entry *t,
		    uint32_t n, struct search_aim a)
{
	if (a.step >= n || t[a.step].agent == a.target || sched_agent_done_at(a.target) <= a.step)
		return;
	for (int i = 0; i < *count; i++)
		if (aims[i].step == a.step && aims[i].target == a.target)
			return;
	aims[(*count)++] = a;
}

int search_aims(struct search_aim *aims, uint64_t seed)
{
	uint32_t n, pairs[SEARCH_AIMS_MAX];
	int count = 0, npairs = 0;
	const struct sched_trace_entry *t = sched_trace(&n);
	if (++aim_gen == 0)
		aim_gen = 1;
	for (uint32_t k = 0;
	     k < n && count + AIMS_PER_PAIR <= SEARCH_AIMS_MAX && npairs < SEARCH_AIMS_MAX; k++) {
		const struct sched_trace_entry *e = &t[k];
		bool reads =
		    e->op == SCHED_OP_READ || e->op == SCHED_OP_RMW || e->op == SCHED_OP_ACQUIRE;
		bool writes =
		    e->op == SCHED_OP_WRITE || e->op == SCHED_OP_RMW || e->op == SCHED_OP_RELEASE;
		if (!e->obj || (!reads && !writes))
			continue;
		uint32_t i = (uint32_t)(XXH3_64bits(&e->obj, sizeof(e->obj)) % AIM_OBJECTS);
		if (writers[i].gen == aim_gen && writers[i].obj == e->obj &&
		    writers[i].agent != e->agent) {
			/* one aim pair per (writer site, reader site) */
			uint32_t pair = writers[i].site * 0x9e3779b1u ^ e->site;
			bool dup = false;
			for (int p = 0; p < npairs; p++)
				dup |= pairs[p] == pair;
			if (!dup) {
				pairs[npairs++] = pair;
				aim_add(aims, &count, t, n,
					(struct search_aim){writers[i].step, e->agent,
							    SEARCH_AIM_BEFORE});
				aim_add(aims, &count, t, n,
					(struct search_aim){writers[i].step + 1, e->agent,
							    SEARCH_AIM_AFTER});
				aim_add(aims, &count, t, n,
					(struct search_aim){e->step, writers[i].agent,
							    SEARCH_AIM_LATER});
				uint32_t end =
				    critical_section_end(t, writers[i].step, k, writers[i].agent);
				/* the writer goes on past its unlocks: its window */
				if (end != UINT32_MAX && end != writers[i].step && end + 1 < n &&
				    t[end + 1].agent == writers[i].agent)
					aim_add(aims, &count, t, n,
						(struct search_aim){end + 1, e->agent,
								    SEARCH_AIM_WINDOW});
			}
		}
		if (writes || writers[i].gen != aim_gen || writers[i].obj != e->obj)
			writers[i].gen = aim_gen, writers[i].obj = e->obj,
			writers[i].step = e->step, writers[i].site = e->site,
			writers[i].agent = e->agent;
	}
	/* Fisher-Yates by @seed: which pairs come first is the input's, not the trace's */
	uint64_t st = seed;
	for (int i = count - 1; i > 0; i--) {
		int j = (int)(sched_prng(&st) % (uint64_t)(i + 1));
		struct search_aim tmp = aims[i];
		aims[i] = aims[j];
		aims[j] = tmp;
	}
	/* then by tier, stable: the kinds that found the most races per run first */
	struct search_aim by_tier[SEARCH_AIMS_MAX];
	int m = 0;
	for (int tier = 0; tier < AIM_TIERS; tier++)
		for (int i = 0; i < count; i++)
			if (aim_tier[aims[i].kind] == tier)
				by_tier[m++] = aims[i];
	memcpy(aims, by_tier, (size_t)count * sizeof(aims[0]));
	return count;
}

/* ---- the schedules ------------------------------------------------------------------ */

static struct sched_pct pct;
static struct sched_random rnd;
static struct scenario aimed_s;

/*
 * An aimed schedule: the directed part (the own run's preemptions before the aim,
 * then the aim) and, once every one of them has fired or been skipped, a random
 * tail: each forced choice (an agent blocked or done) among the runnable agents at
 * random, and a switch point every AIMED_TAIL_MEAN steps on average.  The default
 * tail, the lowest runnable agent, undoes most aims: a race usually needs the aim
 * and then another agent than the lowest to run next (the zap races: the writeback
 * runs inside the zap's window, then the store, not the zap's flush).
 */
#define AIMED_TAIL_MEAN 16
static struct aimed_tail {
	struct sched_policy base;
	struct sched_directed directed;
	struct sched_random tail;
	bool in_tail;
} aimed;

static void aimed_begin(struct sched_policy *p)
{
	struct aimed_tail *a = (struct aimed_tail *)p;
	a->in_tail = false;
	a->directed.base.ops->begin(&a->directed.base);
	a->tail.base.ops->begin(&a->tail.base);
	p->every_site = a->directed.base.every_site;
	p->first_yields = a->directed.base.first_yields;
}

static int aimed_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	struct aimed_tail *a = (struct aimed_tail *)p;
	if (a->in_tail)
		return a->tail.base.ops->decide(&a->tail.base, c, next_at);
	int choice = a->directed.base.ops->decide(&a->directed.base, c, next_at);
	p->every_site = a->directed.base.every_site;
	for (int i = 0; i < a->directed.count; i++)
		if (a->directed.status[i] == SCHED_PREEMPT_PENDING)
			return choice;
	a->in_tail = true; /* from the next decision on (next_at: the next step) */
	p->every_site = false;
	return choice;
}

static bool aimed_end(struct sched_policy *p)
{
	(void)p;
	return false;
}

static const struct sched_policy_ops aimed_ops = {"aimed", aimed_begin, aimed_decide, aimed_end};

/*
 * PCT depth; 0: random.  No PCT d=1 (one priority order, no change point): in the
 * same measurement with d=1 in the cycle, 0 of its 8,840 runs found anything.
 */
static const int8_t unaimed_cycle[] = {3, 0, 2, 3, 0, 3};

/* What schedule @i of a search with @aims_count aims is: an aim's index, else -1 and a depth. */
static int schedule_slot(int aims_count, int i, int *depth)
{
	if (i % 2 == 0 && i / 2 < aims_count)
		return i / 2;
	int unaimed = i - (aims_count < (i + 1) / 2 ? aims_count : (i + 1) / 2);
	*depth = unaimed_cycle[unaimed % (int)sizeof(unaimed_cycle)];
	return -1;
}

const char *search_schedule_kind(const struct search_aim *aims, int aims_count, int i)
{
	static const char *const aim_names[SEARCH_AIM_KINDS] = {[SEARCH_AIM_WINDOW] = "window",
								[SEARCH_AIM_AFTER] = "after",
								[SEARCH_AIM_BEFORE] = "before",
								[SEARCH_AIM_LATER] = "later"};
	static const char *const depth_names[] = {"random", "pct1", "pct2", "pct3"};
	int depth = 0, a = schedule_slot(aims_count, i, &depth);
	return a >= 0 ? aim_names[aims[a].kind] : depth_names[depth];
}

struct sched_policy *search_policy(const struct scenario *s, const struct scn_preempt *own,
				   int own_count, uint32_t steps, const struct search_aim *aims,
				   int aims_count, uint64_t seed, int i)
{
	uint64_t run_seed = seed ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ull);
	int depth = 0, slot = schedule_slot(aims_count, i, &depth);
	if (slot >= 0) {
		const struct search_aim *a = &aims[slot];
		aimed_s = *s;
		aimed_s.preempt_count = 0;
		for (int k = 0; k < own_count && own[k].step < a->step; k++)
			if (aimed_s.preempt_count < SCN_PREEMPT_MAX - 1)
				aimed_s.preempt[aimed_s.preempt_count++] = own[k];
		struct scn_preempt *p = &aimed_s.preempt[aimed_s.preempt_count++];
		memset(p, 0, sizeof(*p));
		p->step = a->step;
		p->target = a->target;
		exec_directed_lenient(&aimed_s, &aimed.directed);
		sched_random_init(&aimed.tail, run_seed, AIMED_TAIL_MEAN);
		aimed.base.ops = &aimed_ops;
		return &aimed.base;
	}
	if (!depth) {
		sched_random_init(&rnd, run_seed, 8);
		return &rnd.base;
	}
	sched_pct_init(&pct, run_seed, depth);
	pct.steps_estimate = steps;
	return &pct.base;
}

struct sched_policy *search_rescue_policy(uint32_t steps, uint64_t seed, int i)
{
	/* switch points per run of a random schedule: what fits SCN_PREEMPT_MAX */
	static const uint32_t points[] = {64, 48, 32, 24};
	uint64_t run_seed = seed ^ ((uint64_t)(i + 1) * 0xc2b2ae3d27d4eb4full);
	if (i % 4 == 3) {
		sched_pct_init(&pct, run_seed, 2 + i / 4 % 2);
		pct.steps_estimate = steps;
		return &pct.base;
	}
	uint32_t mean = steps / points[i / 4 % 4];
	sched_random_init(&rnd, run_seed, mean > 8 ? mean : 8);
	return &rnd.base;
}

/* ---- hints for the mutator -------------------------------------------------------------- */

#define HINTS	    64
#define HINTS_MAGIC 0x6d6d6668696e7431ull /* "mmfhint1" */
struct hint_table {
	uint64_t magic, size; /* a file of another build's layout is wiped */
	struct {
		uint64_t scenario;
		int count; /* 0: empty */
		struct scn_preempt preempt[SCN_PREEMPT_MAX];
	} e[HINTS];
};
static struct hint_table hints_private, *hints = &hints_private;

bool search_hints_share(const char *path, char *err, size_t err_bytes)
{
	int fd = open(path, O_RDWR | O_CREAT, 0644);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) ||
	    ((size_t)st.st_size < sizeof(*hints) && ftruncate(fd, sizeof(*hints)))) {
		snprintf(err, err_bytes, "MMFUZZ_HINTS_FILE: %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	void *m = mmap(NULL, sizeof(*hints), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int mmap_errno = errno;
	close(fd);
	if (m == MAP_FAILED) {
		snprintf(err, err_bytes, "MMFUZZ_HINTS_FILE: %s: %s", path, strerror(mmap_errno));
		return false;
	}
	hints = m;
	if (hints->magic != HINTS_MAGIC || hints->size != sizeof(*hints)) {
		memset(hints, 0, sizeof(*hints));
		hints->magic = HINTS_MAGIC;
		hints->size = sizeof(*hints);
	}
	return true;
}

void search_hint_put(uint64_t scenario, const struct scn_preempt *p, int count)
{
	if (count <= 0 || count > SCN_PREEMPT_MAX)
		return;
	uint32_t i = (uint32_t)(scenario % HINTS);
	hints->e[i].scenario = scenario;
	hints->e[i].count = count;
	memcpy(hints->e[i].preempt, p, (size_t)count * sizeof(*p));
}

bool search_hint_take(uint64_t scenario, struct scenario *s)
{
	uint32_t i = (uint32_t)(scenario % HINTS);
	/* (a shared table is another process's file: a count out of range is no hint) */
	if (hints->e[i].count <= 0 || hints->e[i].count > SCN_PREEMPT_MAX ||
	    hints->e[i].scenario != scenario)
		return false;
	s->preempt_count = hints->e[i].count;
	memcpy(s->preempt, hints->e[i].preempt, (size_t)hints->e[i].count * sizeof(s->preempt[0]));
	hints->e[i].count = 0;
	return true;
}
