/* SPDX-License-Identifier: MIT */
/*
 * Store buffers and their drain agents, deferred loads and their load agents
 * (see sbuf.h).  Everything is a fixed array reset by sb_begin(); nothing runs
 * unless a scenario says `memory arm64`, so the default (`memory sc`)
 * executions, their steps and fingerprints are those of a build without this
 * file.
 *
 * Cost: a buffered store, a forwarded load and a drain step look at no more than
 * SB_QUEUES_PER_CPU queue heads and SB_QUEUE_DEPTH entries.  A deferred load, a
 * settle and a perform step look at LD_SLOTS_PER_CPU slots.
 */
#include "sbuf.h"

#include <string.h>

#include "oracle/events.h"
#include "page.h"
#include "pgtable.h"

bool sb_active;

/*
 * What a buffered store writes.  A user store and the kernel's stores into a
 * frame share the frame's words as locations; a PTE is a location of its own.
 */
enum sb_kind {
	SB_USER,  /* a user store through the TLB (hw_store) */
	SB_KDATA, /* the kernel's store into a frame: clear or copy (words in .words) */
	SB_PTE,	  /* a PTE store (set_pte_at) */
	SB_PMD,	  /* a PMD store (pmd_populate() of a filled table) */
	SB_REF,	  /* a relaxed atomic_add() to a folio's refcount (.val[0]: the delta) */
};

struct sb_entry {
	uint8_t kind;
	uint8_t words; /* SB_USER/SB_KDATA: the words of the frame it writes (a mask) */
	bool rmw;      /* SB_PTE: the store half of a relaxed RMW (ptep_get_and_clear) */
	bool init;     /* SB_PTE: the fill of a table nobody reaches yet (no oracle event) */
	uint32_t obj;  /* the frame (pfn), the PTE's index in the table arena, or the
			* PMD's (mm * PTRS_PER_PMD + index, as pmd_obj()) */
	uint32_t gen;
	uint32_t seq;	/* the CPU's store count: age */
	uint32_t epoch; /* the CPU's smp_wmb() count when the store was buffered */
	int mm;
	unsigned long addr;
	uint64_t val[MM_WORDS_PER_PAGE];    /* by word (SB_USER: its one word; SB_PTE: [0]) */
	uint32_t origin[MM_WORDS_PER_PAGE]; /* SB_KDATA: the oracle layer's origin of each word */
	const struct sched_site *site;
};
_Static_assert(MM_WORDS_PER_PAGE <= 8, "a frame's words fit sb_entry.words");

/* Is @e a store to a location of its own (an entry, a count), not to frame words? */
static bool sb_is_entry(const struct sb_entry *e)
{
	return e->kind == SB_PTE || e->kind == SB_PMD || e->kind == SB_REF;
}

/* Do @a and @b write a common location?  (Then they stay in order.) */
static bool sb_overlap(const struct sb_entry *a, const struct sb_entry *b)
{
	if (sb_is_entry(a) != sb_is_entry(b) || a->obj != b->obj)
		return false;
	if (sb_is_entry(a))
		return a->kind == b->kind;
	return a->words & b->words;
}

/* Stores to one location, oldest first; bound to it while not empty. */
struct sb_queue {
	int head, count;
	struct sb_entry e[SB_QUEUE_DEPTH];
};

/*
 * A deferred load: translated at its issue (the frame and its generation), read
 * when performed.  @val is where the scenario's result goes (exec_op_result).
 */
struct ld_entry {
	bool used;
	uint32_t seq; /* the CPU's load count: age */
	int mm, word;
	unsigned long addr;
	uint32_t pfn, gen;
	uint64_t *val;
	const struct sched_site *site;
};

static struct sb_cpu {
	int queues;   /* drain agents, 0: the CPU's stores are not buffered */
	int loads;    /* load agents (slots), 0: the CPU's loads are performed at issue */
	bool done;    /* the CPU ran all its operations */
	bool waiting; /* the CPU is blocked in sb_drain_wait() */
	uint32_t seq, epoch, lseq;
	struct sb_queue q[SB_QUEUES_PER_CPU];
	struct ld_entry ld[LD_SLOTS_PER_CPU];
} sb[NR_CPUS];

/*
 * Locks released by a CPU with stores still buffered: for lock object .obj, the
 * store count of each CPU at its last release (0: none).  Whoever takes the lock
 * next makes those stores visible first (sb_lock_acquire()).  Open addressing;
 * a release that finds no slot makes its stores visible at once instead.
 */
#define SB_LOCKS 64
static struct sb_lock {
	uint32_t obj;
	uint32_t seq[NR_CPUS];
} sb_locks[SB_LOCKS];
static int sb_locks_used;

static char sb_names[NR_CPUS * SB_QUEUES_PER_CPU][5];
static char ld_names[NR_CPUS * LD_SLOTS_PER_CPU][5];
_Static_assert(NR_CPUS <= 10, "one digit per CPU in a drain agent's name");
_Static_assert(LD_AGENTS_END <= SCHED_AGENTS_MAX, "load agents are scheduler agents");

SCHED_SITE_GLOBAL(site_sb_drain, "sb_drain", "visible");
SCHED_SITE_GLOBAL(site_sb_idle, "sb_drain", "idle");
SCHED_SITE_GLOBAL(site_sb_wait, "sb_drain_wait", NULL);
SCHED_SITE_GLOBAL(site_smp_mb, "smp_mb", NULL);
SCHED_SITE_GLOBAL(site_smp_wmb, "smp_wmb", NULL);
SCHED_SITE_GLOBAL(site_smp_rmb, "smp_rmb", NULL);
SCHED_SITE_GLOBAL(site_ld_perform, "ld_perform", "read");
SCHED_SITE_GLOBAL(site_ld_idle, "ld_perform", "idle");

const char *sb_agent_name(int agent)
{
	if (agent >= SB_AGENTS_END && agent < LD_AGENTS_END) {
		int i = agent - SB_AGENTS_END;
		char *n = ld_names[i]; /* "LD", the CPU's digit, the slot's letter */
		n[0] = 'L';
		n[1] = 'D';
		n[2] = (char)('0' + i / LD_SLOTS_PER_CPU);
		n[3] = (char)('a' + i % LD_SLOTS_PER_CPU);
		return n;
	}
	if (agent < NR_CPUS || agent >= SB_AGENTS_END)
		return NULL;
	int i = agent - NR_CPUS;
	char *n = sb_names[i]; /* "SB", the CPU's digit, the queue's letter */
	n[0] = 'S';
	n[1] = 'B';
	n[2] = (char)('0' + i / SB_QUEUES_PER_CPU);
	n[3] = (char)('a' + i % SB_QUEUES_PER_CPU);
	return n;
}

static const struct sb_entry *sb_head(const struct sb_queue *q)
{
	return q->count ? &q->e[q->head] : NULL;
}

static bool sb_empty(const struct sb_cpu *c)
{
	for (int i = 0; i < c->queues; i++)
		if (c->q[i].count)
			return false;
	return true;
}

/* May queue @qi's oldest entry become visible now?  (No older smp_wmb() epoch left.) */
static bool sb_eligible(const struct sb_cpu *c, int qi)
{
	const struct sb_entry *h = sb_head(&c->q[qi]);
	if (!h)
		return false;
	for (int i = 0; i < c->queues; i++) {
		const struct sb_entry *o = sb_head(&c->q[i]);
		if (o && o->epoch < h->epoch)
			return false;
	}
	return true;
}

/* Wake who may go on after @cpu's buffer changed: drain agents with an eligible
 * head (or nothing left to do), the CPU waiting for an empty buffer. */
static void sb_wake(int cpu)
{
	struct sb_cpu *c = &sb[cpu];
	for (int i = 0; i < c->queues; i++) {
		/* an empty queue of a CPU that is done: its agent would only return */
		if (c->done && !c->q[i].count && sched_agent_cancel(SB_AGENT(cpu, i)))
			continue;
		if (sb_eligible(c, i) || (c->done && !c->q[i].count))
			sched_wake(SB_AGENT(cpu, i));
	}
	if (c->waiting && sb_empty(c))
		sched_wake(cpu);
}

/* Make queue @qi's oldest entry visible: memory, then the oracle layer's event. */
static void sb_commit(int cpu, int qi)
{
	struct sb_queue *q = &sb[cpu].q[qi];
	SCHED_ASSERT(q->count > 0);
	struct sb_entry e = q->e[q->head];
	q->head = (q->head + 1) % SB_QUEUE_DEPTH;
	q->count--;
	if (e.kind == SB_PTE) {
		pte_t *ptep = &mm_world.pte_tables[0][0] + e.obj;
		pte_t old = *ptep;
		*ptep = __pte(e.val[0]);
		if (!e.init)
			oracle_pte_write_by(cpu, e.obj, old, *ptep, !e.rmw, e.site);
		sb_wake(cpu);
		return;
	}
	if (e.kind == SB_PMD) {
		mm_get(e.mm)->pmd[e.obj % PTRS_PER_PMD] = (pmd_t){e.val[0]};
		sb_wake(cpu);
		return;
	}
	struct folio *page = pfn_page(e.obj);
	if (e.kind == SB_REF) {
		/* the adder holds a reference of its own (taken by a fully ordered
		 * folio_try_get()): the folio cannot be freed under the add */
		SCHED_ASSERT(page->allocated && page->gen == e.gen);
		page->refcount += (int)(int64_t)e.val[0];
		sb_wake(cpu);
		return;
	}
	if (e.kind == SB_KDATA) {
		/* the kernel's release points (unlock, the free's atomic) drain its stores
		 * into a frame before the frame can be freed: a tool bug if not */
		SCHED_ASSERT(page->allocated && page->gen == e.gen);
		for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
			if (!(e.words >> w & 1u))
				continue;
			page->data[w] = e.val[w];
			oracle_data_set(e.obj, w, e.origin[w]);
		}
		sb_wake(cpu);
		return;
	}
	int word = __builtin_ctz(e.words);
	oracle_deferred_access(cpu, mm_get(e.mm), e.addr, e.obj, e.gen, &e.val[word], e.site);
	page->data[word] = e.val[word];
	oracle_user_store(cpu, mm_get(e.mm), e.addr, e.obj, e.val[word], e.site);
	sb_wake(cpu);
}

/* The oldest entry of @cpu's buffer (always eligible: its epoch is the oldest). */
static int sb_oldest(const struct sb_cpu *c)
{
	int best = -1;
	for (int i = 0; i < c->queues; i++) {
		const struct sb_entry *h = sb_head(&c->q[i]);
		if (h && (best < 0 || h->seq < sb_head(&c->q[best])->seq))
			best = i;
	}
	return best;
}

/*
 * A drain agent: make its queue's oldest entry visible whenever that may happen,
 * one step each; block while there is nothing it may do; finish when its CPU is
 * done and the queue empty.
 */
static void sb_drain_fn(int agent, void *arg)
{
	(void)arg;
	int cpu = (agent - NR_CPUS) / SB_QUEUES_PER_CPU, qi = (agent - NR_CPUS) % SB_QUEUES_PER_CPU;
	struct sb_cpu *c = &sb[cpu];
	for (;;) {
		if (sb_eligible(c, qi)) {
			const struct sb_entry *h = sb_head(&c->q[qi]);
			uint32_t obj = h->kind == SB_PTE   ? SCHED_OBJ(OBJ_PTE, h->obj)
				       : h->kind == SB_PMD ? SCHED_OBJ(OBJ_PMD, h->obj)
				       : h->kind == SB_REF ? folio_obj(pfn_page(h->obj))
							   : SCHED_OBJ(OBJ_DATA, h->obj);
			sched_yield(&site_sb_drain, obj, SCHED_OP_WRITE);
			/* (a TLB flush may have emptied it meanwhile) */
			if (sb_eligible(c, qi))
				sb_commit(cpu, qi);
			continue;
		}
		if (c->done && !c->q[qi].count)
			return;
		/* waits for its CPU (a store) or for an older epoch of another queue */
		uint32_t owners = 1u << cpu;
		if (c->q[qi].count)
			for (int i = 0; i < c->queues; i++)
				if (i != qi)
					owners |= 1u << SB_AGENT(cpu, i);
		struct sched_wait w = {.what = "store-buffer",
				       .name = sb_agent_name(agent),
				       .obj = SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)agent),
				       .owners_mask = owners};
		sched_block(&site_sb_idle, &w, false);
	}
}

/* The slot of lock @obj, a new one if @add (NULL: none, or no room). */
static struct sb_lock *sb_lock_slot(uint32_t obj, bool add)
{
	uint32_t h = (obj * 2654435761u) % SB_LOCKS;
	for (int i = 0; i < SB_LOCKS; i++) {
		struct sb_lock *l = &sb_locks[(h + (uint32_t)i) % SB_LOCKS];
		if (l->obj == obj + 1)
			return l;
		if (!l->obj) {
			if (!add || sb_locks_used >= SB_LOCKS / 2)
				return NULL;
			sb_locks_used++;
			l->obj = obj + 1; /* 0: a free slot */
			return l;
		}
	}
	return NULL;
}

/*
 * A release (unlock): the CPU's stores so far must be visible to whoever takes
 * the lock next, not to everybody at once (later loads may still pass them: a
 * release is no smp_mb()).  Recorded; sb_lock_acquire() makes them visible.
 */
static void sb_lock_release(uint32_t obj)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0 || sb_empty(&sb[cpu]))
		return;
	struct sb_lock *l = sb_lock_slot(obj, true);
	if (!l) {
		sb_flush_now(cpu);
		return;
	}
	l->seq[cpu] = sb[cpu].seq;
}

/* An acquire: every store released to this lock by another CPU becomes visible
 * now, oldest first (one of the orders its drain agents could have chosen). */
static void sb_lock_acquire(uint32_t obj)
{
	struct sb_lock *l = sb_lock_slot(obj, false);
	if (!l)
		return;
	int me = sched_current();
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (cpu == me || !l->seq[cpu])
			continue;
		struct sb_cpu *c = &sb[cpu];
		for (int qi; (qi = sb_oldest(c)) >= 0 && sb_head(&c->q[qi])->seq < l->seq[cpu];)
			sb_commit(cpu, qi);
		l->seq[cpu] = 0;
	}
}

static void ld_agent_fn(int agent, void *arg);

void sb_begin(uint32_t cpus, const int queues[NR_CPUS], const int loads[NR_CPUS])
{
	memset(sb, 0, sizeof(sb));
	memset(sb_locks, 0, sizeof(sb_locks));
	sb_locks_used = 0;
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (!(cpus >> cpu & 1u))
			continue;
		SCHED_ASSERT(queues[cpu] >= 1 && queues[cpu] <= SB_QUEUES_PER_CPU);
		sb[cpu].queues = queues[cpu];
		for (int i = 0; i < queues[cpu]; i++) {
			int agent = SB_AGENT(cpu, i);
			struct sched_wait w = {.what = "store-buffer",
					       .name = sb_agent_name(agent),
					       .obj = SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)agent),
					       .owners_mask = 1u << cpu};
			sched_agent_add(agent, sb_agent_name(agent), sb_drain_fn, NULL);
			sched_agent_start_blocked(agent, &w, &site_sb_idle);
		}
		SCHED_ASSERT(loads[cpu] >= 0 && loads[cpu] <= LD_SLOTS_PER_CPU);
		sb[cpu].loads = loads[cpu];
		for (int k = 0; k < loads[cpu]; k++) {
			int agent = LD_AGENT(cpu, k);
			struct sched_wait w = {.what = "load-queue",
					       .name = sb_agent_name(agent),
					       .obj = SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)agent),
					       .owners_mask = 1u << cpu};
			sched_agent_add(agent, sb_agent_name(agent), ld_agent_fn, NULL);
			sched_agent_start_blocked(agent, &w, &site_ld_idle);
		}
	}
	sb_active = true;
	sync_release_hook = sb_lock_release;
	sync_acquire_hook = sb_lock_acquire;
	sync_mb_hook = sb_kernel_mb;
}

void sb_end(void)
{
	for (int cpu = 0; cpu < NR_CPUS && !sched_stopped(); cpu++) {
		SCHED_ASSERT(sb_empty(&sb[cpu]));
		for (int k = 0; k < LD_SLOTS_PER_CPU; k++)
			SCHED_ASSERT(!sb[cpu].ld[k].used);
	}
	sb_active = false;
	sync_release_hook = NULL;
	sync_acquire_hook = NULL;
	sync_mb_hook = NULL;
}

/* Does queue @q hold an entry that writes a location @e writes? */
static bool sb_queue_overlaps(const struct sb_queue *q, const struct sb_entry *e)
{
	for (int i = 0; i < q->count; i++)
		if (sb_overlap(&q->e[(q->head + i) % SB_QUEUE_DEPTH], e))
			return true;
	return false;
}

/*
 * Buffer @e in @cpu's buffer: behind the stores to the locations it writes (one
 * queue holds them all: a store that overlaps two queues' locations, a whole
 * frame after single words, first makes older entries visible until one is
 * left), else in a free queue; a full buffer makes its oldest entry visible.
 */
static void sb_push(int cpu, struct sb_entry e)
{
	struct sb_cpu *c = &sb[cpu];
	for (;;) {
		int same = -1, sames = 0, free = -1;
		for (int i = 0; i < c->queues; i++) {
			if (sb_queue_overlaps(&c->q[i], &e)) {
				same = i;
				sames++;
			} else if (!c->q[i].count && free < 0) {
				free = i;
			}
		}
		int qi = same >= 0 ? same : free;
		if (sames <= 1 && qi >= 0 && c->q[qi].count < SB_QUEUE_DEPTH) {
			struct sb_queue *q = &c->q[qi];
			e.seq = c->seq++;
			e.epoch = c->epoch;
			q->e[(q->head + q->count) % SB_QUEUE_DEPTH] = e;
			q->count++;
			sb_wake(cpu);
			return;
		}
		/* full, or two queues to merge: the oldest entry becomes visible now,
		 * without a step */
		sb_commit(cpu, sb_oldest(c));
	}
}

bool sb_store(int cpu, struct mm_struct *mm, unsigned long addr, uint32_t pfn, uint32_t gen,
	      int word, uint64_t val, const struct sched_site *site)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS || !sb[cpu].queues)
		return false;
	struct sb_entry e = {.kind = SB_USER,
			     .words = (uint8_t)(1u << word),
			     .obj = pfn,
			     .gen = gen,
			     .mm = mm->id,
			     .addr = addr,
			     .site = site};
	e.val[word] = val;
	sb_push(cpu, e);
	return true;
}

/* The newest entry of @cpu's buffer that writes what @probe names, or NULL. */
static const struct sb_entry *sb_newest(int cpu, const struct sb_entry *probe)
{
	const struct sb_cpu *c = &sb[cpu];
	for (int i = 0; i < c->queues; i++) {
		const struct sb_queue *q = &c->q[i];
		for (int k = q->count - 1; k >= 0; k--) {
			const struct sb_entry *e = &q->e[(q->head + k) % SB_QUEUE_DEPTH];
			if (sb_overlap(e, probe))
				return e;
		}
	}
	return NULL;
}

bool sb_forward(int cpu, uint32_t pfn, int word, uint64_t *val)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS)
		return false;
	struct sb_entry probe = {.kind = SB_USER, .words = (uint8_t)(1u << word), .obj = pfn};
	const struct sb_entry *e = sb_newest(cpu, &probe);
	if (!e)
		return false;
	*val = e->val[word];
	return true;
}

/* ---- deferred loads ------------------------------------------------------------------ */

/* May slot @k's load be performed now?  (No older pending load of the same word.) */
static bool ld_eligible(const struct sb_cpu *c, int k)
{
	const struct ld_entry *e = &c->ld[k];
	if (!e->used)
		return false;
	for (int j = 0; j < c->loads; j++) {
		const struct ld_entry *o = &c->ld[j];
		if (j != k && o->used && o->pfn == e->pfn && o->word == e->word && o->seq < e->seq)
			return false;
	}
	return true;
}

/* Wake the load agents of @cpu that may go on: an eligible slot, or nothing left. */
static void ld_wake(int cpu)
{
	struct sb_cpu *c = &sb[cpu];
	for (int k = 0; k < c->loads; k++) {
		bool idle = c->done && !c->ld[k].used;
		if (idle && sched_agent_cancel(LD_AGENT(cpu, k)))
			continue;
		if (ld_eligible(c, k) || idle)
			sched_wake(LD_AGENT(cpu, k));
	}
}

/*
 * Perform slot @k's load: the CPU's own newest buffered store to the word if
 * any (forwarded: no event, as at issue), else memory, judged by the oracle
 * layer now — when the value is read, not when the load was issued.
 */
static void ld_perform(int cpu, int k)
{
	struct sb_cpu *c = &sb[cpu];
	struct ld_entry e = c->ld[k];
	SCHED_ASSERT(e.used);
	c->ld[k].used = false;
	uint64_t v;
	if (!sb_forward(cpu, e.pfn, e.word, &v)) {
		struct folio *page = pfn_page(e.pfn);
		oracle_deferred_access(cpu, mm_get(e.mm), e.addr, e.pfn, e.gen, NULL, e.site);
		v = page->data[e.word];
		oracle_user_load(cpu, mm_get(e.mm), e.addr, e.pfn, v, e.site);
	}
	*e.val = v;
	ld_wake(cpu);
}

/* The slot of @cpu's oldest pending load of word @word of @pfn (any word if @word
 * < 0), or -1. */
static int ld_oldest(const struct sb_cpu *c, uint32_t pfn, int word)
{
	int best = -1;
	for (int k = 0; k < c->loads; k++) {
		const struct ld_entry *e = &c->ld[k];
		if (e->used && (word < 0 || (e->pfn == pfn && e->word == word)) &&
		    (best < 0 || e->seq < c->ld[best].seq))
			best = k;
	}
	return best;
}

void sb_loads_settle(int cpu, uint32_t pfn, int word)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS)
		return;
	for (int k; (k = ld_oldest(&sb[cpu], pfn, word)) >= 0;)
		ld_perform(cpu, k);
}

void sb_loads_perform(int cpu)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS)
		return;
	for (int k; (k = ld_oldest(&sb[cpu], 0, -1)) >= 0;)
		ld_perform(cpu, k);
}

bool sb_load_defer(int cpu, struct mm_struct *mm, unsigned long addr, uint32_t pfn, uint32_t gen,
		   int word, uint64_t *val, const struct sched_site *site)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS || !sb[cpu].loads)
		return false;
	struct sb_cpu *c = &sb[cpu];
	int k = -1;
	for (int j = 0; j < c->loads && k < 0; j++)
		if (!c->ld[j].used)
			k = j;
	if (k < 0) {
		/* all slots taken: the oldest load is performed now, without a step */
		k = ld_oldest(c, 0, -1);
		ld_perform(cpu, k);
	}
	c->ld[k] = (struct ld_entry){.used = true,
				     .seq = c->lseq++,
				     .mm = mm->id,
				     .word = word,
				     .addr = addr,
				     .pfn = pfn,
				     .gen = gen,
				     .val = val,
				     .site = site};
	ld_wake(cpu);
	return true;
}

/*
 * A load agent: perform its slot's load whenever that may happen, one step each;
 * block while the slot is empty or waits for an older load of the same word;
 * finish when its CPU is done and the slot empty.
 */
static void ld_agent_fn(int agent, void *arg)
{
	(void)arg;
	int cpu = (agent - SB_AGENTS_END) / LD_SLOTS_PER_CPU;
	int k = (agent - SB_AGENTS_END) % LD_SLOTS_PER_CPU;
	struct sb_cpu *c = &sb[cpu];
	for (;;) {
		if (ld_eligible(c, k)) {
			uint32_t seq = c->ld[k].seq;
			sched_yield(&site_ld_perform, SCHED_OBJ(OBJ_DATA, c->ld[k].pfn),
				    SCHED_OP_READ);
			/* (a barrier, a TLB flush or a store to the word may have performed
			 * it meanwhile, and the CPU put another load in the slot) */
			if (ld_eligible(c, k) && c->ld[k].seq == seq)
				ld_perform(cpu, k);
			continue;
		}
		if (c->done && !c->ld[k].used)
			return;
		/* waits for its CPU (a load) or for an older load of the same word */
		uint32_t owners = 1u << cpu;
		if (c->ld[k].used)
			for (int j = 0; j < c->loads; j++)
				if (j != k)
					owners |= 1u << LD_AGENT(cpu, j);
		struct sched_wait w = {.what = "load-queue",
				       .name = sb_agent_name(agent),
				       .obj = SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)agent),
				       .owners_mask = owners};
		sched_block(&site_ld_idle, &w, false);
	}
}

int sb_kernel_cpu(void)
{
	int cpu = sched_current();
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS || !sb[cpu].queues)
		return -1;
	return cpu;
}

bool sb_kernel_store_words(struct folio *page, unsigned words, const uint64_t *val,
			   const uint32_t *origin, const struct sched_site *site)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry e = {.kind = SB_KDATA,
			     .words = (uint8_t)words,
			     .obj = folio_pfn(page),
			     .gen = page->gen,
			     .mm = -1,
			     .site = site};
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
		e.val[w] = val[w];
		e.origin[w] = origin[w];
	}
	sb_push(cpu, e);
	return true;
}

bool sb_kernel_forward_word(const struct folio *page, int word, uint64_t *val, uint32_t *origin)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry probe = {
	    .kind = SB_KDATA, .words = (uint8_t)(1u << word), .obj = folio_pfn(page)};
	const struct sb_entry *e = sb_newest(cpu, &probe);
	if (!e)
		return false;
	/* the kernel entry drained the CPU's user stores (agent_fn, hw_access) */
	SCHED_ASSERT(e->kind == SB_KDATA);
	*val = e->val[word];
	*origin = e->origin[word];
	return true;
}

bool sb_kernel_set_pte(uint32_t pte, pte_t val, const struct sched_site *site)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry e = {.kind = SB_PTE, .obj = pte, .mm = -1, .site = site};
	e.val[0] = pte_val(val);
	sb_push(cpu, e);
	return true;
}

bool sb_kernel_init_pte(uint32_t pte, pte_t val, const struct sched_site *site)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry e = {.kind = SB_PTE, .init = true, .obj = pte, .mm = -1, .site = site};
	e.val[0] = pte_val(val);
	sb_push(cpu, e);
	return true;
}

bool sb_kernel_set_pmd(struct mm_struct *mm, const pmd_t *pmdp, pmd_t val,
		       const struct sched_site *site)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry e = {.kind = SB_PMD,
			     .obj = (uint32_t)mm->id * PTRS_PER_PMD + (uint32_t)(pmdp - mm->pmd),
			     .mm = mm->id,
			     .site = site};
	e.val[0] = val.val;
	sb_push(cpu, e);
	return true;
}

bool sb_kernel_forward_pmd(const struct mm_struct *mm, const pmd_t *pmdp, pmd_t *val)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry probe = {
	    .kind = SB_PMD, .obj = (uint32_t)mm->id * PTRS_PER_PMD + (uint32_t)(pmdp - mm->pmd)};
	const struct sb_entry *e = sb_newest(cpu, &probe);
	if (!e)
		return false;
	*val = (pmd_t){e->val[0]};
	return true;
}

bool sb_kernel_ref_add(struct folio *folio, int refs, const struct sched_site *site)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry e = {
	    .kind = SB_REF, .obj = folio_pfn(folio), .gen = folio->gen, .mm = -1, .site = site};
	e.val[0] = (uint64_t)(int64_t)refs;
	sb_push(cpu, e);
	return true;
}

void sb_kernel_ref_settle(const struct folio *folio)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return;
	struct sb_entry probe = {.kind = SB_REF, .obj = folio_pfn(folio)};
	if (sb_newest(cpu, &probe))
		sb_flush_now(cpu);
}

bool sb_kernel_xchg_pte_relaxed(uint32_t pte, pte_t val, pte_t *old, const struct sched_site *site)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	sb_pte_rmw_settle(pte);
	if (!sb_kernel_forward_pte(pte, old))
		*old = (&mm_world.pte_tables[0][0])[pte];
	struct sb_entry e = {.kind = SB_PTE, .rmw = true, .obj = pte, .mm = -1, .site = site};
	e.val[0] = pte_val(val);
	sb_push(cpu, e);
	return true;
}

void sb_pte_rmw_settle(uint32_t pte)
{
	int me = sched_current();
	struct sb_entry probe = {.kind = SB_PTE, .obj = pte};
	for (int cpu = 0; cpu < NR_CPUS; cpu++) {
		if (cpu == me)
			continue;
		struct sb_cpu *c = &sb[cpu];
		for (int i = 0; i < c->queues; i++) {
			const struct sb_queue *q = &c->q[i];
			for (int k = 0; k < q->count; k++) {
				const struct sb_entry *e = &q->e[(q->head + k) % SB_QUEUE_DEPTH];
				if (e->rmw && sb_overlap(e, &probe)) {
					sb_flush_now(cpu);
					goto next;
				}
			}
		}
	next:;
	}
}

bool sb_kernel_forward_pte(uint32_t pte, pte_t *val)
{
	int cpu = sb_kernel_cpu();
	if (cpu < 0)
		return false;
	struct sb_entry probe = {.kind = SB_PTE, .obj = pte};
	const struct sb_entry *e = sb_newest(cpu, &probe);
	if (!e)
		return false;
	*val = __pte(e->val[0]);
	return true;
}

void sb_kernel_wmb(void)
{
	int cpu = sb_kernel_cpu();
	if (cpu >= 0)
		sb[cpu].epoch++;
}

void sb_kernel_mb(void)
{
	int cpu = sb_kernel_cpu();
	if (cpu >= 0)
		sb_flush_now(cpu);
}

void sb_drain_wait(int cpu)
{
	/* the CPU's pending loads first: a kernel entry, a fault and smp_mb() order
	 * them before what follows (no step: one of the orders the load agents
	 * could have chosen) */
	sb_loads_perform(cpu);
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS || !sb[cpu].queues)
		return;
	struct sb_cpu *c = &sb[cpu];
	uint32_t owners = 0;
	for (int i = 0; i < c->queues; i++)
		owners |= 1u << SB_AGENT(cpu, i);
	while (!sb_empty(c)) {
		struct sched_wait w = {.what = "store-buffer drain",
				       .name = sched_agent_name(cpu),
				       .obj = SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)cpu),
				       .owners_mask = owners};
		c->waiting = true;
		sched_block(&site_sb_wait, &w, false);
	}
	c->waiting = false;
}

void sb_smp_mb(int cpu)
{
	sched_yield(&site_smp_mb, SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)cpu), SCHED_OP_EVENT);
	sb_drain_wait(cpu);
}

void sb_release(int cpu)
{
	/* a release orders the CPU's earlier loads too: they are performed now */
	sb_loads_perform(cpu);
	if (sb_active && cpu >= 0 && cpu < NR_CPUS)
		sb[cpu].epoch++;
}

void sb_smp_wmb(int cpu)
{
	sched_yield(&site_smp_wmb, SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)cpu), SCHED_OP_EVENT);
	/* stores only: pending loads stay pending */
	if (sb_active && cpu >= 0 && cpu < NR_CPUS)
		sb[cpu].epoch++;
}

void sb_smp_rmb(int cpu)
{
	/* the pending loads are performed before any later load is issued */
	sched_yield(&site_smp_rmb, SCHED_OBJ(SCHED_OBJ_AGENT, (uint32_t)cpu), SCHED_OP_EVENT);
	sb_loads_perform(cpu);
}

void sb_flush_now(int cpu)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS)
		return;
	/* the DSB completes loads as well as stores */
	sb_loads_perform(cpu);
	while (!sb_empty(&sb[cpu]))
		sb_commit(cpu, sb_oldest(&sb[cpu]));
}

void sb_cpu_done(int cpu)
{
	if (!sb_active || cpu < 0 || cpu >= NR_CPUS || !sb[cpu].queues)
		return;
	sb[cpu].done = true;
	sb_wake(cpu);
	ld_wake(cpu);
}
