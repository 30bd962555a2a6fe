/* SPDX-License-Identifier: MIT */
/*
 * The model's world: reset between executions, snapshots of it after a setup
 * (saved, restored and compared by what the runs used; see mm.h), process
 * teardown, and quiescence once every agent has finished: tear down every
 * address space (exit_mmap with fullmm; a process no operation gave one is only
 * marked dead), write back every file, then let the oracle layer judge what is
 * left (oracle_final_sync(): each file's disk against what it should hold, then
 * every frame, swap slot and TLB accounted for).
 */
#include "mm.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "contpte.h"
#include "filemap.h"
#include "gup.h"
#include "hw.h"
#include "knobs.h"
#include "ksm.h"
#include "memory.h"
#include "mmap.h"
#include "oracle/events.h"
#include "page.h"
#include "pgtable.h"
#include "quiesce.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

struct mm_world mm_world;

struct mm_struct *mm_get(int id)
{
	SCHED_ASSERT(id >= 0 && id < NR_MMS);
	return &mm_world.mms[id];
}

struct address_space *mapping_get(int id)
{
	SCHED_ASSERT(id >= 0 && id < NR_FILES);
	mm_world.files_used |= 1u << id;
	return &mm_world.mappings[id];
}

const struct address_space *mapping_peek(int id)
{
	SCHED_ASSERT(id >= 0 && id < NR_FILES);
	return &mm_world.mappings[id];
}

/*
 * Frames [0, mm_frames_touched()) are all a run can have changed: a frame's fields
 * are written only once it is allocated, and an allocation raises the world's mark
 * (folio_alloc_frames()), which only mm_reset() and a restore set back (frames are
 * taken lowest first, so the touched ones are nearly a prefix).
 */
uint32_t mm_frames_touched(void)
{
	return mm_world.frames_hwm;
}

/* The world every run starts from: locks initialised with their ids, disks filled. */
static struct mm_world mm_pristine;

static void mm_pristine_build(void)
{
	struct mm_world *w = &mm_pristine;
	for (int i = 0; i < NR_MMS; i++) {
		struct mm_struct *mm = &w->mms[i];
		mm->id = i;
		mm->live = true;
		init_rwsem(&mm->munmap_sem, MM_OBJ(i, MM_OBJ_MUNMAP_SEM), "munmap_sem",
			   RANK_MUNMAP_SEM);
		seqcount_init(&mm->write_protect_seq, MM_OBJ(i, MM_OBJ_WRITE_PROTECT_SEQ),
			      "write_protect_seq");
		init_rwsem(&mm->mmap_lock, MM_OBJ(i, MM_OBJ_MMAP_LOCK), "mmap_lock",
			   RANK_MMAP_LOCK);
		spin_lock_init(&mm->page_table_lock, MM_OBJ(i, MM_OBJ_PAGE_TABLE_LOCK),
			       "page_table_lock", RANK_PAGE_TABLE_LOCK);
	}
	for (int t = 0; t < NR_PTE_TABLES; t++) {
		w->pte_meta[t].mm = -1;
		spin_lock_init(&w->pte_meta[t].ptl, SCHED_OBJ(OBJ_PTL, t), "ptl", RANK_PTL);
	}
	for (int f = 0; f < NR_FILES; f++) {
		struct address_space *mapping = &w->mappings[f];
		mapping->id = f;
		spin_lock_init(&mapping->i_pages_lock,
			       SCHED_OBJ(OBJ_MAPPING, 0x8000u + (uint32_t)f * 2), "i_pages",
			       RANK_PTL + 1);
		init_rwsem(&mapping->i_mmap_rwsem,
			   SCHED_OBJ(OBJ_MAPPING, 0x8000u + (uint32_t)f * 2 + 1), "i_mmap_rwsem",
			   RANK_I_MMAP);
		/* recognisable initial file content: file, page and word */
		for (int p = 0; p < FILE_PAGES; p++)
			for (int wd = 0; wd < MM_WORDS_PER_PAGE; wd++)
				mapping->disk[p][wd] = 0x1000000ull * (uint64_t)(f + 1) +
						       0x100ull * (uint64_t)p + (uint64_t)wd;
	}
	spin_lock_init(&w->swap.lock, SCHED_OBJ(OBJ_SWAP_MAP, 0x8000u), "swap_lock",
		       RANK_SWAP_LOCK);
	ksm_init(&w->ksm);
	spin_lock_init(&w->swap.cache_lock, SCHED_OBJ(OBJ_SWAP_CACHE, 0x8000u), "swap_cache",
		       RANK_SWAP_CACHE);
	for (int i = 0; i < NR_ANON_VMAS; i++)
		init_rwsem(&w->anon_vmas[i].rwsem, SCHED_OBJ(OBJ_ANON_VMA, (uint32_t)i), "anon_vma",
			   RANK_I_MMAP);
}

/* PTE tables [@from, @to), the files in @files, the swap device if @swap and KSM
 * if @ksm of @w back to pristine. */
static void tail_by_use_pristine(struct mm_world *w, int from, int to, uint32_t files, bool swap,
				 bool ksm)
{
	if (swap)
		w->swap = mm_pristine.swap;
	if (ksm)
		w->ksm = mm_pristine.ksm;
	if (to > from) {
		memcpy(w->pte_tables[from], mm_pristine.pte_tables[from],
		       (size_t)(to - from) * sizeof(w->pte_tables[0]));
		memcpy(&w->pte_meta[from], &mm_pristine.pte_meta[from],
		       (size_t)(to - from) * sizeof(w->pte_meta[0]));
	}
	for (; files; files &= files - 1) {
		int f = __builtin_ctz(files);
		w->mappings[f] = mm_pristine.mappings[f];
	}
}

void mm_reset(void)
{
	static bool built;
	if (!built) {
		mm_pristine_build();
		mm_world = mm_pristine; /* then each reset restores what a run used */
		built = true;
	}
	struct mm_world *w = &mm_world;
	memset(w->frames, 0, mm_frames_touched() * sizeof(w->frames[0]));
	for (int i = 0; i < NR_MMS; i++) {
		memcpy(&w->mms[i], &mm_pristine.mms[i], offsetof(struct mm_struct, mm_mt));
		mt_init(&w->mms[i].mm_mt, (uint32_t)i, "mm_mt");
	}
	memcpy(w->vmas, mm_pristine.vmas, (size_t)w->vma_hwm * sizeof(w->vmas[0]));
	memcpy(w->anon_vmas, mm_pristine.anon_vmas,
	       (size_t)w->anon_vma_hwm * sizeof(w->anon_vmas[0]));
	tail_by_use_pristine(w, 0, w->pte_table_hwm, w->files_used, w->swap_used, w->ksm_used);
	size_t whole = offsetof(struct mm_world, vma_hwm);
	memcpy((char *)w + whole, (const char *)&mm_pristine + whole, sizeof(*w) - whole);
	oracle_reset();
}

/* ---- snapshots ---------------------------------------------------------------------------- */

/* How much of the by-use arenas a world has used (each tree's pool keeps its own). */
struct mm_use {
	uint32_t frames;
	int vmas, anon_vmas, pte_tables;
	uint32_t files; /* a mask */
	bool swap, ksm;
};

/* The configuration a snapshot was taken under: constant while it is used. */
struct mm_config {
	uint64_t knobs;
	uint32_t device_agents;
	bool contpte, split_ptes, tlb_broadcast;
};

struct mm_snapshot {
	struct mm_use use;
	struct mm_config config;
	struct oracle_snapshot *oracle;
	struct mm_world w; /* sparse: only what `use` and the pools' marks cover */
};

static struct mm_use mm_use_now(void)
{
	return (struct mm_use){.frames = mm_frames_touched(),
			       .vmas = mm_world.vma_hwm,
			       .anon_vmas = mm_world.anon_vma_hwm,
			       .pte_tables = mm_world.pte_table_hwm,
			       .files = mm_world.files_used,
			       .swap = mm_world.swap_used,
			       .ksm = mm_world.ksm_used};
}

static struct mm_config mm_config_now(void)
{
	return (struct mm_config){.knobs = mm_knobs,
				  .device_agents = hw_device_agents,
				  .contpte = pgtable_contpte,
				  .split_ptes = pgtable_split_ptes,
				  .tlb_broadcast = tlb_flush_broadcast};
}

/*
 * Every region of world @x (the live one, or a snapshot's) that a run can read,
 * given its use @u: the used frames, arena slots and files, the swap device and
 * KSM if used, the whole part, each mm with its tree's scalars, and of each pool
 * the batches, the free FIFO, the states and the nodes below its marks (a node
 * above them is cleared when taken).  Copied from @x to @y (@save) or back.
 * (Whole worlds are compared by mm_world_same(), which does not rely on this
 * list.)
 */
static void world_regions(bool save, struct mm_world *x, struct mm_world *y, const struct mm_use *u)
{
	/* (most regions are empty in a run: a call to memcpy() costs more than the test) */
#define WORLD_REGION(field, bytes)                                                                 \
	do {                                                                                       \
		size_t n_ = (bytes);                                                               \
		if (n_)                                                                            \
			memcpy(save ? (void *)&y->field : (void *)&x->field,                       \
			       save ? (const void *)&x->field : (const void *)&y->field, n_);      \
	} while (0)
	WORLD_REGION(frames, u->frames * sizeof(x->frames[0]));
	WORLD_REGION(vmas, (size_t)u->vmas * sizeof(x->vmas[0]));
	WORLD_REGION(anon_vmas, (size_t)u->anon_vmas * sizeof(x->anon_vmas[0]));
	WORLD_REGION(pte_tables, (size_t)u->pte_tables * sizeof(x->pte_tables[0]));
	WORLD_REGION(pte_meta, (size_t)u->pte_tables * sizeof(x->pte_meta[0]));
	for (uint32_t files = u->files; files; files &= files - 1)
		WORLD_REGION(mappings[__builtin_ctz(files)], sizeof(x->mappings[0]));
	if (u->swap)
		WORLD_REGION(swap, sizeof(x->swap));
	if (u->ksm)
		WORLD_REGION(ksm, sizeof(x->ksm));
	size_t whole = offsetof(struct mm_world, vma_hwm);
	WORLD_REGION(vma_hwm, sizeof(*x) - whole);
	for (int i = 0; i < NR_MMS; i++) {
		WORLD_REGION(mms[i], offsetof(struct mm_struct, mm_mt.pool.batch));
		/* the scalars are the same on both sides now: the marks are @x's */
		const struct kmaple_pool *p = &x->mms[i].mm_mt.pool;
		WORLD_REGION(mms[i].mm_mt.pool.batch, p->batch_hwm * sizeof(p->batch[0]));
		uint32_t head = p->free_head, n = p->free_count;
		uint32_t first = n < KMAPLE_NODES_MAX - head ? n : KMAPLE_NODES_MAX - head;
		WORLD_REGION(mms[i].mm_mt.pool.free_ring[head], first * sizeof(p->free_ring[0]));
		WORLD_REGION(mms[i].mm_mt.pool.free_ring[0], (n - first) * sizeof(p->free_ring[0]));
		WORLD_REGION(mms[i].mm_mt.pool.state, p->hwm);
		WORLD_REGION(mms[i].mm_mt.pool.nodes, p->hwm * sizeof(p->nodes[0]));
	}
#undef WORLD_REGION
}

struct mm_snapshot *mm_snapshot_alloc(void)
{
	struct mm_snapshot *s = malloc(sizeof(*s));
	if (s && !(s->oracle = oracle_snapshot_alloc())) {
		free(s);
		s = NULL;
	}
	return s;
}

void mm_snapshot_free(struct mm_snapshot *s)
{
	if (s)
		oracle_snapshot_free(s->oracle);
	free(s);
}

void mm_snapshot_save(struct mm_snapshot *s)
{
	SCHED_ASSERT(sched_current() == SCHED_NO_AGENT);
	s->use = mm_use_now();
	s->config = mm_config_now();
	world_regions(true, &mm_world, &s->w, &s->use);
	oracle_snapshot_save(s->oracle, s->use.frames);
}

bool mm_snapshot_fits(const struct mm_snapshot *s)
{
	struct mm_config c = mm_config_now();
	const struct mm_config *t = &s->config; /* field by field: padding is not state */
	return c.knobs == t->knobs && c.device_agents == t->device_agents &&
	       c.contpte == t->contpte && c.split_ptes == t->split_ptes &&
	       c.tlb_broadcast == t->tlb_broadcast;
}

void mm_snapshot_restore(const struct mm_snapshot *s)
{
	SCHED_ASSERT(mm_snapshot_fits(s) && "snapshot of another configuration");
	struct mm_world *w = &mm_world;
	struct mm_use now = mm_use_now();
	uint32_t hwm[NR_MMS];
	for (int i = 0; i < NR_MMS; i++)
		hwm[i] = w->mms[i].mm_mt.pool.hwm;
	world_regions(false, w, (struct mm_world *)&s->w, &s->use);
	/* what this run used beyond the snapshot's marks goes back to pristine */
	const struct mm_use *u = &s->use;
	if (now.frames > u->frames)
		memset(&w->frames[u->frames], 0, (now.frames - u->frames) * sizeof(w->frames[0]));
	if (now.vmas > u->vmas)
		memcpy(&w->vmas[u->vmas], &mm_pristine.vmas[u->vmas],
		       (size_t)(now.vmas - u->vmas) * sizeof(w->vmas[0]));
	if (now.anon_vmas > u->anon_vmas)
		memcpy(&w->anon_vmas[u->anon_vmas], &mm_pristine.anon_vmas[u->anon_vmas],
		       (size_t)(now.anon_vmas - u->anon_vmas) * sizeof(w->anon_vmas[0]));
	tail_by_use_pristine(w, u->pte_tables, now.pte_tables, now.files & ~u->files,
			     now.swap && !u->swap, now.ksm && !u->ksm);
	for (int i = 0; i < NR_MMS; i++) {
		struct kmaple_pool *p = &w->mms[i].mm_mt.pool;
		if (hwm[i] > p->hwm)
			memset(&p->state[p->hwm], 0, hwm[i] - p->hwm);
	}
	oracle_snapshot_restore(s->oracle);
}

bool mm_snapshot_equal(const struct mm_snapshot *a, const struct mm_snapshot *b, char *what,
		       size_t what_bytes)
{
	bool same_use = a->use.frames == b->use.frames && a->use.vmas == b->use.vmas &&
			a->use.anon_vmas == b->use.anon_vmas &&
			a->use.pte_tables == b->use.pte_tables && a->use.files == b->use.files &&
			a->use.swap == b->use.swap && a->use.ksm == b->use.ksm;
	if (!same_use || !mm_snapshot_fits(b)) {
		snprintf(what, what_bytes, "world, %s", same_use ? "configuration" : "use");
		return false;
	}
	return oracle_snapshot_equal(a->oracle, b->oracle, what, what_bytes);
}

/* Bytes [from, to) of worlds @a and @b equal?  Else names the field where they differ. */
static bool world_bytes_same(const struct mm_world *a, const struct mm_world *b, size_t from,
			     size_t to, char *what, size_t what_bytes)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	if (!memcmp(x + from, y + from, to - from))
		return true;
	size_t at = from;
	while (x[at] == y[at])
		at++;
	static const struct {
		const char *name;
		size_t end;
	} fields[] = {
	    {"frames", offsetof(struct mm_world, mms)},
	    {"mm_structs", offsetof(struct mm_world, vmas)},
	    {"vmas", offsetof(struct mm_world, anon_vmas)},
	    {"anon_vmas", offsetof(struct mm_world, pte_tables)},
	    {"page tables", offsetof(struct mm_world, pte_meta)},
	    {"page table metadata", offsetof(struct mm_world, mappings)},
	    {"files", offsetof(struct mm_world, swap)},
	    {"swap device", offsetof(struct mm_world, ksm)},
	    {"KSM", offsetof(struct mm_world, vma_hwm)},
	    {"arena marks, TLBs, references, walkers", sizeof(struct mm_world)},
	};
	int f = 0;
	while (at >= fields[f].end)
		f++;
	snprintf(what, what_bytes, "world, %s (byte %zu)", fields[f].name, at);
	return false;
}

bool mm_world_same(const struct mm_world *a, const struct mm_world *b, char *what,
		   size_t what_bytes)
{
	size_t at = 0;
#define SAME_UPTO(to)                                                                              \
	do {                                                                                       \
		if (!world_bytes_same(a, b, at, (to), what, what_bytes))                           \
			return false;                                                              \
	} while (0)
	for (int i = 0; i < NR_MMS; i++) {
		const struct kmaple_pool *p = &a->mms[i].mm_mt.pool, *q = &b->mms[i].mm_mt.pool;
		size_t pool = offsetof(struct mm_world, mms[i].mm_mt.pool);
		SAME_UPTO(pool + offsetof(struct kmaple_pool, batch));
		/* the marks are equal now: skip what no run reads (a batch, a node above
		 * them is initialised when taken; the FIFO outside its window) */
		SCHED_ASSERT(p->batch_hwm == q->batch_hwm && p->hwm == q->hwm);
		at = pool + offsetof(struct kmaple_pool, batch[p->batch_hwm]);
		uint32_t head = p->free_head, n = p->free_count;
		for (uint32_t k = 0; k < n; k++) {
			uint32_t r = (head + k) % KMAPLE_NODES_MAX;
			if (p->free_ring[r] != q->free_ring[r]) {
				snprintf(what, what_bytes, "world, P%d's maple free FIFO", i);
				return false;
			}
		}
		at = pool + offsetof(struct kmaple_pool, state);
		SAME_UPTO(pool + offsetof(struct kmaple_pool, nodes[p->hwm]));
		at = pool + sizeof(struct kmaple_pool);
	}
	SAME_UPTO(sizeof(struct mm_world));
#undef SAME_UPTO
	return true;
}

/*
 * No yield in mmget/mmput: entering and leaving a system call are atomic with
 * respect to exit_group() here (the kernel's SIGKILL delivery is not modelled).
 */
bool mmget_not_exiting(struct mm_struct *mm)
{
	if (mm->exiting || !mm->live || mm->unborn)
		return false;
	mm->mm_users++;
	return true;
}

void mmput(struct mm_struct *mm)
{
	SCHED_ASSERT(mm->mm_users > 0);
	if (--mm->mm_users == 0 && mm->exiting && mm->live)
		exit_mmap(mm); /* __mmput(): the last user tears the address space down */
}

int do_exit(struct mm_struct *mm)
{
	if (!mmget_not_exiting(mm))
		return -ESRCH;
	mm->exiting = true; /* zap_other_threads(): none starts another system call */
	mmput(mm);
	return 0;
}

/*
 * (no maple node allocated since the reset: no VMA was ever in the tree.  Its
 * exit_mmap() would take and drop mmap_lock, walk an empty tree and flush a TLB
 * range no CPU holds, with no other agent left to see any of it; a test runs it
 * and compares: tests/test_semantics.c)
 */
bool mm_untouched(const struct mm_struct *mm)
{
	if (!mm->live || mm->mm_mt.pool.hwm || mm->cpumask || mm->tlb_flush_pending ||
	    mm->tlb_flush_batched || mm->mm_users || mm->exiting)
		return false;
	for (int p = 0; p < PTRS_PER_PMD; p++)
		if (!pmd_none(mm->pmd[p]) || mm->pmd_deposit[p])
			return false;
	return true;
}

void mm_quiesce(int agent, void *arg)
{
	(void)agent;
	(void)arg;
	rcu_barrier();
	gup_release_all(); /* the devices let go before the processes exit */
	for (int i = 0; i < NR_MMS && !sched_stopped(); i++) {
		struct mm_struct *mm = &mm_world.mms[i];
		if (mm_untouched(mm))
			mm->live = false; /* exit_mmap() would find nothing to tear down */
		else if (mm->live)
			exit_mmap(mm);
	}
	/* (a file no operation named has no page: nothing to write) */
	for (uint32_t f = mm_world.files_used; f && !sched_stopped(); f &= f - 1)
		do_writepages(&mm_world.mappings[__builtin_ctz(f)]);
	if (!sched_stopped())
		oracle_final_sync();
}
