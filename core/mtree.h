/* SPDX-License-Identifier: MIT */
/*
 * A maple-tree-style range map (the mm's tree of VMAs): every index of
 * [0, ULONG_MAX] holds NULL (a gap), MTREE_ZERO (reserved: lookups see nothing,
 * gap search sees it occupied) or a caller's pointer, in inclusive ranges
 * [first, last].  The tree only stores and returns entries; it never dereferences
 * or compares them.
 *
 * Concurrency, stated once: writers are serialised by the tree's spinlock
 * (ma_lock, taken inside the store functions); readers take no lock, only
 * rcu_read_lock().  A store never changes the array readers see: it builds the
 * new version in a free node, publishes it with one pointer store
 * (rcu_assign_pointer) and hands the old node to call_rcu, so it is reused only
 * after every reader that could hold it has left.  A reader reads the root once
 * (rcu_dereference) and sees one version, entirely old or entirely new.
 *
 * Models: include/linux/maple_tree.h and lib/maple_tree.c (mtree_store_range,
 * mtree_insert_range, mtree_load, mtree_erase, mt_find, mt_for_each, mas_walk,
 * mas_find, mas_pause, mas_empty_area{,_rev}, mt_validate); XA_ZERO_ENTRY from
 * include/linux/xarray.h.
 *
 * Leaves out: the B-tree.  A version is one flat node of at most
 * MTREE_RANGES_MAX ranges, copied whole by every store (O(N), N <= 64), so the
 * kernel's node-by-node races (a reader meeting a dead node and re-walking,
 * mas_rewalk_if_dead) do not exist here: an ma_state keeps its version for the
 * whole read section, a snapshot.  Also left out: gap tracking
 * (MT_FLAGS_ALLOC_RANGE; gap search scans), allocation failure and
 * preallocation (-ENOMEM, mas_preallocate), the external lock
 * (MT_FLAGS_LOCK_EXTERN: the kernel's mm tree is serialised by mmap_lock alone;
 * here the spinlock serialises writers and callers hold mmap_lock on top),
 * mas_store, reverse iteration, mtree_destroy.
 */
#ifndef MMFUZZ_MTREE_H
#define MMFUZZ_MTREE_H

#include <stdbool.h>
#include <stdint.h>

#include "../scheduler/sched.h"
#include "../scheduler/sync.h"

#define MTREE_RANGES_MAX 64 /* ranges per version, gaps included */

/*
 * Versions in a tree's pool.  A retired version waits for a grace period, and
 * call_rcu() waits for every reader inside at the time, not only for those
 * holding that version: one reader parked in a long read section keeps every
 * version retired meanwhile.  So readers x versions-held is no bound; the RCU
 * callback queue is (SCHED_RCU_CBS_MAX, asserted by call_rcu).  Allocation
 * happens while at most SCHED_RCU_CBS_MAX versions wait and one is live, so
 * the pool cannot run dry before the callback queue overflows.
 */
#define MTREE_NODES_MAX (SCHED_RCU_CBS_MAX + 1)

/* The reserved entry (XA_ZERO_ENTRY, xa_mk_internal(257)): never a valid pointer. */
#define MTREE_ZERO ((void *)0x406ul)
static inline bool mt_is_zero(const void *entry)
{
	return entry == MTREE_ZERO;
}

/*
 * Object kind of a tree's yield points: index 2i is tree i's root pointer, 2i+1
 * its ma_lock.  Lives here because mm.h includes this header; belongs in enum
 * mm_obj_kind.
 */
#define OBJ_MTREE (SCHED_OBJ_MODEL + 16)
/* ma_lock is a leaf: nothing is taken under it, so it ranks above every mm lock. */
#define MTREE_LOCK_RANK 60

/* The caller's site (as MM_SITE in mm.h, which this header cannot include). */
#define MT_SITE(lbl)                                                                               \
	({                                                                                         \
		SCHED_SITE_DEFINE(mt_site__, lbl);                                                 \
		&mt_site__;                                                                        \
	})

enum maple_node_state {
	MAPLE_NODE_FREE,
	MAPLE_NODE_NEW,	    /* being built by the writer holding ma_lock */
	MAPLE_NODE_LIVE,    /* the published version */
	MAPLE_NODE_RETIRED, /* replaced, waiting for its grace period */
};

/*
 * One version of the whole map.  Range i is [i ? pivot[i-1] + 1 : 0, pivot[i]]
 * and holds slot[i]; pivot[count-1] == ULONG_MAX.  Immutable once published.
 */
struct maple_node {
	unsigned long pivot[MTREE_RANGES_MAX];
	void *slot[MTREE_RANGES_MAX];
	uint32_t count;
	uint32_t gen; /* bumped when freed: a stale ma_state is detectable */
	enum maple_node_state state;
	struct maple_tree *tree; /* for the RCU callback */
};

struct maple_tree {
	spinlock_t ma_lock;
	struct maple_node *ma_root; /* read with one yield point, written under ma_lock */
	uint32_t obj;		    /* SCHED_OBJ(OBJ_MTREE, 2 * index): the root */
	const char *name;
	uint32_t nodes_free;
	uint32_t nodes_free_min; /* low-water mark since mt_init, for tests */
	uint32_t nodes_used; /* nodes [0, nodes_used) were ever allocated: what mt_init resets */
	struct maple_node nodes[MTREE_NODES_MAX];
};

/*
 * Reset @mt to one NULL range [0, ULONG_MAX] with every other node free.  Also
 * needed after sched_reset(), which drops pending RCU callbacks.  Costs what the
 * tree used since the last mt_init (nodes are allocated lowest index first, so a
 * high-water mark bounds them), not the pool's size; the first call on a tree
 * (zeroed, or not yet initialised) resets the whole pool.
 * Context: setup, no concurrency.
 */
void mt_init(struct maple_tree *mt, uint32_t obj_index, const char *name);

/* ---- normal API: locking handled inside ----------------------------------------- */

/*
 * Store @entry (a pointer, NULL to erase, or MTREE_ZERO) over [first, last],
 * splitting ranges that overlap it partially and replacing those inside; an
 * adjacent NULL range merges with a NULL store.  Returns 0, or -EINVAL if
 * first > last.  More than MTREE_RANGES_MAX ranges is a simulator assertion.
 * Context: an agent or a solo phase; takes ma_lock (a spinlock); the caller
 * holds mmap_lock for write (not checked).
 */
int __mtree_store_range(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry,
			struct sched_site *site);
#define mtree_store_range(mt, first, last, entry)                                                  \
	__mtree_store_range((mt), (first), (last), (entry), MT_SITE("mtree_store_range"))

/*
 * Store @entry over [first, last] only if every index there is NULL (MTREE_ZERO
 * is occupied).  Returns 0, -EEXIST, or -EINVAL if first > last.
 * Context: as mtree_store_range().
 */
int __mtree_insert_range(struct maple_tree *mt, unsigned long first, unsigned long last,
			 void *entry, struct sched_site *site);
#define mtree_insert_range(mt, first, last, entry)                                                 \
	__mtree_insert_range((mt), (first), (last), (entry), MT_SITE("mtree_insert_range"))

/*
 * Erase the whole range containing @index; return its entry as stored (NULL,
 * MTREE_ZERO or a pointer: the kernel's mtree_erase does not filter zero).
 * Context: as mtree_store_range().
 */
void *__mtree_erase(struct maple_tree *mt, unsigned long index, struct sched_site *site);
#define mtree_erase(mt, index) __mtree_erase((mt), (index), MT_SITE("mtree_erase"))

/*
 * The entry at @index; NULL for a gap and for MTREE_ZERO.
 * Context: an agent or a solo phase; takes rcu_read_lock() itself.
 */
void *__mtree_load(struct maple_tree *mt, unsigned long index, struct sched_site *site);
#define mtree_load(mt, index) __mtree_load((mt), (index), MT_SITE("mtree_load"))
/* Oracle bookkeeping: mtree_load() without a yield or RCU (the oracles' view). */
void *mtree_load_oracle(const struct maple_tree *mt, unsigned long index);

/*
 * The first pointer (neither NULL nor MTREE_ZERO) whose range intersects
 * [*index, max]; then *index = that range's last + 1 (0 after ULONG_MAX).
 * NULL, *index unchanged, if there is none or *index > max.
 * Context: as mtree_load().
 */
void *__mt_find(struct maple_tree *mt, unsigned long *index, unsigned long max,
		struct sched_site *site);
#define mt_find(mt, index, max) __mt_find((mt), (index), (max), MT_SITE("mt_find"))
/* mt_find() from *index, unless the previous one wrapped *index to 0. */
#define mt_find_after(mt, index, max) (*(index) ? mt_find((mt), (index), (max)) : NULL)

/*
 * Every pointer in [index, max], in order; @index is the cursor.  Each step is
 * its own mt_find(), its own RCU section: entries may come from different
 * versions.  For one version throughout, use mas_for_each() under
 * rcu_read_lock().
 */
#define mt_for_each(mt, entry, index, max)                                                         \
	for ((entry) = mt_find((mt), &(index), (max)); (entry);                                    \
	     (entry) = mt_find_after((mt), &(index), (max)))

/* ---- gap search --------------------------------------------------------------------- */

enum mt_empty_flags {
	MT_EMPTY_REV = 1u,	   /* the highest fit instead of the lowest */
	MT_EMPTY_ZERO_AS_GAP = 2u, /* MTREE_ZERO counts as free (knob mtree-zero-as-gap) */
};

/*
 * The lowest (MT_EMPTY_REV: highest) *start such that [*start, *start + size - 1]
 * lies inside [min, max] (inclusive) and holds only NULL.  Returns 0, -EBUSY if
 * there is no such range, -EINVAL if min > max, size == 0 or size exceeds the
 * window (as the kernel since 6.5).
 * Context: rcu_read_lock() or mmap_lock held by the caller (not checked); reads
 * the root once.
 */
int __mt_empty_area(struct maple_tree *mt, unsigned long min, unsigned long max, unsigned long size,
		    unsigned int flags, unsigned long *start, struct sched_site *site);
#define mt_empty_area(mt, min, max, size, flags, start)                                            \
	__mt_empty_area((mt), (min), (max), (size), (flags), (start), MT_SITE("mt_empty_area"))
#define mas_empty_area(mt, min, max, size, start)                                                  \
	__mt_empty_area((mt), (min), (max), (size), 0, (start), MT_SITE("mas_empty_area"))
#define mas_empty_area_rev(mt, min, max, size, start)                                              \
	__mt_empty_area((mt), (min), (max), (size), MT_EMPTY_REV, (start),                         \
			MT_SITE("mas_empty_area_rev"))

/* ---- advanced API: the caller handles locking ------------------------------------ */

enum ma_status { MA_START, MA_ACTIVE, MA_PAUSE, MA_DONE };

/*
 * A cursor.  Once it has walked it holds its version (node, checked by gen)
 * until mas_pause()/mas_set(): later steps read that version without yield
 * points.  The holder must stay inside one rcu_read_lock() section (or hold
 * mmap_lock, so that no writer runs) while it holds a version.
 */
struct ma_state {
	struct maple_tree *tree;
	unsigned long index, last; /* the range of the last entry returned */
	enum ma_status status;
	const struct maple_node *node;
	uint32_t node_gen;
};

#define MA_STATE(name, mt, first, end)                                                             \
	struct ma_state name = {.tree = (mt), .index = (first), .last = (end), .status = MA_START}

/* Restart at @index: the next walk reads the root again. */
static inline void mas_set(struct ma_state *mas, unsigned long index)
{
	mas->index = mas->last = index;
	mas->status = MA_START;
	mas->node = NULL;
}

/*
 * Drop the version (before rcu_read_unlock()); the next mas_find() reads the
 * root again and continues after mas->last.
 */
static inline void mas_pause(struct ma_state *mas)
{
	if (mas->status == MA_ACTIVE)
		mas->status = MA_PAUSE;
	mas->node = NULL;
}

/*
 * The entry at mas->index as stored (MTREE_ZERO included); sets mas->index and
 * mas->last to its range, a gap's too.  Always reads the root.
 * Context: rcu_read_lock() or mmap_lock held (not checked).
 */
void *__mas_walk(struct ma_state *mas, struct sched_site *site);
#define mas_walk(mas) __mas_walk((mas), MT_SITE("mas_walk"))

/*
 * First call (or after mas_set/mas_pause): the first non-NULL entry, MTREE_ZERO
 * included, whose range intersects [mas->index, max]; later calls: the next one
 * after mas->last, from the same version.  Sets mas->index/last to its range.
 * NULL when there is none; then the cursor stays done until mas_set().
 * Context: as mas_walk().
 */
void *__mas_find(struct ma_state *mas, unsigned long max, struct sched_site *site);
#define mas_find(mas, max) __mas_find((mas), (max), MT_SITE("mas_find"))

#define mas_for_each(mas, entry, max) while (((entry) = mas_find((mas), (max))) != NULL)

/* ---- assertion helpers ------------------------------------------------------------ */

/*
 * Assertion helper (simulator assertions, no yield points, no steps): the live
 * version is sorted and contiguous, covers [0, ULONG_MAX], has no adjacent NULL
 * ranges; the pool's accounting adds up.
 */
void mt_validate(const struct maple_tree *mt);

#endif
