/* SPDX-License-Identifier: MIT */
/*
 * The mm's tree of VMAs: the kernel's maple tree (lib/maple_tree.c of
 * linux-source-6.12, compiled on the scheduler by core/kernel/maple_glue.c)
 * behind mmfuzz's API.  Every index of [0, ULONG_MAX] holds NULL (a gap),
 * MTREE_ZERO (XA_ZERO_ENTRY, reserved: lookups see nothing, gap search sees it
 * occupied) or a caller's pointer, in inclusive ranges [first, last].  The tree
 * only stores and returns entries; it never dereferences or compares them.
 *
 * Concurrency, stated once (the kernel's): writers are serialised by the tree's
 * spinlock (ma_lock, taken inside the store functions); readers take no lock,
 * only rcu_read_lock().  The tree is in RCU mode with gap tracking
 * (MT_FLAGS_USE_RCU | MT_FLAGS_ALLOC_RANGE): a store builds new nodes, publishes
 * them (rcu_assign_pointer: a yield point), marks the replaced ones dead and
 * hands them to call_rcu; a reader descends node by node (rcu_dereference: a
 * yield point per node read), re-walks when it meets a dead node, and a node
 * read after its grace period is a `use-after-free` finding.  So a schedule can
 * interleave a reader and a writer at node granularity.
 *
 * Models: include/linux/maple_tree.h and lib/maple_tree.c themselves
 * (mtree_store_range, mtree_insert_range, mtree_load, mtree_erase, mtree_destroy, mt_find,
 * mas_walk, mas_find, mas_find_rev, mas_pause, mas_empty_area{,_rev}).
 *
 * Leaves out: the external lock (MT_FLAGS_LOCK_EXTERN: the kernel's mm tree is
 * serialised by mmap_lock alone; here ma_lock serialises writers and callers
 * hold mmap_lock on top), preallocation (mas_preallocate),
 * CONFIG_DEBUG_MAPLE_TREE (mt_validate here is ours).
 */
#ifndef MMFUZZ_MTREE_H
#define MMFUZZ_MTREE_H

#include <stdbool.h>
#include <stdint.h>

#include "../scheduler/sched.h"
#include "../scheduler/sync.h"

#include "kernel/maple_glue.h"

/* Capacity: ranges (VMAs and gaps) a tree holds, a tested property. */
#define MTREE_RANGES_MAX 20000

/* The reserved entry (XA_ZERO_ENTRY, xa_mk_internal(257)): never a valid pointer. */
#define MTREE_ZERO ((void *)0x406ul)
static inline bool mt_is_zero(const void *entry)
{
	return entry == MTREE_ZERO;
}

/*
 * Object kinds of a tree's yield points: OBJ_MTREE index 2i is tree i's root
 * pointer, 2i+1 its ma_lock; OBJ_MAPLE_NODE index i * KMAPLE_NODES_MAX + n is
 * node n of tree i's pool.  Live here because mm.h includes this header; belong
 * in enum mm_obj_kind.
 */
#define OBJ_MTREE      (SCHED_OBJ_MODEL + 16)
#define OBJ_MAPLE_NODE (SCHED_OBJ_MODEL + 17)
/* ma_lock is a leaf: nothing is taken under it, so it ranks above every mm lock. */
#define MTREE_LOCK_RANK 60

/* The caller's site (as MM_SITE in mm.h, which this header cannot include). */
#define MT_SITE(lbl)                                                                               \
	({                                                                                         \
		SCHED_SITE_DEFINE(mt_site__, lbl);                                                 \
		&mt_site__;                                                                        \
	})

struct maple_tree {
	struct kmaple_tree_mem kt; /* the kernel's struct maple_tree */
	uint32_t obj;		   /* SCHED_OBJ(OBJ_MTREE, 2 * index): the root */
	const char *name;
	struct kmaple_pool pool; /* its nodes */
};

/*
 * Reset @mt to one NULL range [0, ULONG_MAX] with every other node free.  Also
 * needed after sched_reset(), which drops pending RCU callbacks.
 * Context: setup, no concurrency.
 */
void mt_init(struct maple_tree *mt, uint32_t obj_index, const char *name);

/* ---- normal API: locking handled inside ----------------------------------------- */

/*
 * Store @entry (a pointer, NULL to erase, or MTREE_ZERO) over [first, last],
 * splitting ranges that overlap it partially and replacing those inside; an
 * adjacent NULL range merges with a NULL store.  Returns 0, -EINVAL if
 * first > last, or -ENOMEM if the tree's pool has no node left (the tree is
 * unchanged).
 * Context: an agent or a solo phase; takes ma_lock (a spinlock); the caller
 * holds mmap_lock for write (not checked).
 */
int __mtree_store_range(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry,
			struct sched_site *site);
#define mtree_store_range(mt, first, last, entry)                                                  \
	__mtree_store_range((mt), (first), (last), (entry), MT_SITE("mtree_store_range"))

/*
 * Store @entry over [first, last] only if every index there is NULL (MTREE_ZERO
 * is occupied).  Returns 0, -EEXIST, -ENOMEM, or -EINVAL if first > last.
 * Context: as mtree_store_range().
 */
int __mtree_insert_range(struct maple_tree *mt, unsigned long first, unsigned long last,
			 void *entry, struct sched_site *site);
#define mtree_insert_range(mt, first, last, entry)                                                 \
	__mtree_insert_range((mt), (first), (last), (entry), MT_SITE("mtree_insert_range"))

/*
 * Erase the whole range containing @index; return its entry as stored (NULL,
 * MTREE_ZERO or a pointer: the kernel's mtree_erase does not filter zero).
 * Allocation failure leaves the range in place (the kernel's mtree_erase
 * ignores it the same way).
 * Context: as mtree_store_range().
 */
void *__mtree_erase(struct maple_tree *mt, unsigned long index, struct sched_site *site);
#define mtree_erase(mt, index) __mtree_erase((mt), (index), MT_SITE("mtree_erase"))

/*
 * exit_mmap()'s end of the tree: leave RCU mode (mt_clear_in_rcu: no reader can
 * reach a dying mm's tree, so nodes need no grace period) and free every node
 * (__mt_destroy).  The tree is then one NULL range again.
 * Context: as mtree_store_range(); no RCU reader of this tree remains.
 */
void __mtree_destroy(struct maple_tree *mt, struct sched_site *site);
#define mtree_destroy(mt) __mtree_destroy((mt), MT_SITE("mtree_destroy"))

/*
 * The entry at @index; NULL for a gap and for MTREE_ZERO.
 * Context: an agent or a solo phase; takes rcu_read_lock() itself.
 */
void *__mtree_load(struct maple_tree *mt, unsigned long index, struct sched_site *site);
#define mtree_load(mt, index) __mtree_load((mt), (index), MT_SITE("mtree_load"))
/* The oracles' view: mtree_load() without a yield or RCU (reads state, keeps none). */
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
 * The kernel's mas_empty_area{,_rev} descend by the gaps the nodes track;
 * MT_EMPTY_ZERO_AS_GAP (the knob's bug, which the kernel's gap tracking cannot
 * express) scans the window's ranges with mas_walk instead.
 * Context: rcu_read_lock() or mmap_lock held by the caller (not checked).
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

/*
 * A cursor: the kernel's struct ma_state (in k), with index and last mirrored
 * after every call for the caller to read.  Held across rcu_read_unlock() or a
 * yield without mmap_lock, it must be mas_pause()d first (the kernel's rule): its
 * node may be freed after the grace period, and reading it then is a
 * use-after-free finding.
 */
struct ma_state {
	struct maple_tree *tree;
	unsigned long index, last; /* the range of the last entry returned */
	bool fresh;		   /* k is not set up yet: the next call starts at index */
	struct kmaple_mas_mem k;
};

#define MA_STATE(name, mt, first, end)                                                             \
	struct ma_state name = {.tree = (mt), .index = (first), .last = (end), .fresh = true}

/* Restart at @index: the next walk reads the root again. */
static inline void mas_set(struct ma_state *mas, unsigned long index)
{
	mas->index = mas->last = index;
	mas->fresh = true;
}

/*
 * Drop the node (before rcu_read_unlock()); the next mas_find() reads the root
 * again and continues after mas->last.
 */
static inline void mas_pause(struct ma_state *mas)
{
	if (!mas->fresh)
		kmaple_mas_pause(&mas->k);
}

/*
 * The entry at mas->index as stored (MTREE_ZERO included); sets mas->index and
 * mas->last to its range, a gap's too.
 * Context: rcu_read_lock() or mmap_lock held (not checked).
 */
void *__mas_walk(struct ma_state *mas, struct sched_site *site);
#define mas_walk(mas) __mas_walk((mas), MT_SITE("mas_walk"))

/*
 * First call (or after mas_set/mas_pause): the first non-NULL entry, MTREE_ZERO
 * included, whose range intersects [mas->index, max]; later calls: the next one
 * after mas->last.  Sets mas->index/last to its range.  NULL when there is none:
 * then, as the kernel's, mas->index/last are the range the search stopped in
 * (the empty range up to max, or past it); further calls stay NULL until
 * mas_set().
 * Context: as mas_walk().
 */
void *__mas_find(struct ma_state *mas, unsigned long max, struct sched_site *site);
#define mas_find(mas, max) __mas_find((mas), (max), MT_SITE("mas_find"))

/* mas_find() downwards: the last non-NULL entry intersecting [min, mas->index]. */
void *__mas_find_rev(struct ma_state *mas, unsigned long min, struct sched_site *site);
#define mas_find_rev(mas, min) __mas_find_rev((mas), (min), MT_SITE("mas_find_rev"))

#define mas_for_each(mas, entry, max) while (((entry) = mas_find((mas), (max))) != NULL)

/* ---- the node pool ------------------------------------------------------------------ */

/* Nodes allocated and not yet freed (in the tree, or waiting for a grace period). */
static inline uint32_t mt_nodes_live(const struct maple_tree *mt)
{
	return mt->pool.live;
}
/* Nodes replaced and waiting for a grace period (call_rcu). */
static inline uint32_t mt_nodes_retired(const struct maple_tree *mt)
{
	return mt->pool.retired;
}
/*
 * Preallocation, the model's mas_preallocate(): 0 if the pool can take @stores
 * more stores of the worst case (a spanning store splitting every level: the
 * kernel's 1 + 3 * height nodes each, at the greatest height a pool reaches)
 * beside what is pledged and one store kept for exit_mmap, else -ENOMEM.  Writers check before
 * they change anything, so that a store inside an operation never fails.
 * Context: the tree's writers serialised by the caller (mmap_lock for write; the
 * tree does not know the lock: not checked).
 */
int mt_preallocate(struct maple_tree *mt, unsigned int stores);
/*
 * Promise @stores worst-case stores to an operation that will make them after
 * dropping and retaking its lock (munmap's reservation release): other writers'
 * mt_preallocate() counts them as taken.  mt_unpledge() when they are done.
 */
void mt_pledge(struct maple_tree *mt, unsigned int stores);
void mt_unpledge(struct maple_tree *mt, unsigned int stores);
/* Allocation fails (-ENOMEM) once @limit nodes are live.  Context: setup or tests. */
static inline void mt_set_nodes_limit(struct maple_tree *mt, uint32_t limit)
{
	mt->pool.limit = limit < KMAPLE_NODES_MAX ? limit : KMAPLE_NODES_MAX;
}

/* ---- assertion helpers ------------------------------------------------------------ */

/*
 * Assertion helper (simulator assertions, no yield points, no steps): the
 * tree's nodes are live, parents and pivots agree, pivots are sorted within
 * their parent's limits, a node's gap entries are its children's largest gaps,
 * no two adjacent NULL ranges in a leaf; the pool's accounting adds up.
 */
void mt_validate(const struct maple_tree *mt);

#endif
