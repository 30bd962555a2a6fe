/* SPDX-License-Identifier: MIT */
/*
 * The range map (see mtree.h): mmfuzz's API over the kernel's maple tree, which
 * core/kernel/maple_glue.c compiles from linux-source-6.12 and bridges with
 * plain C types.  What is here: the per-tree object ids and pool, the cursor's
 * mirror of index/last, the knob's ZERO-as-gap search (the kernel's gap
 * tracking counts ZERO as occupied and cannot be told otherwise), the oracles'
 * lookup without yield points.
 *
 * Cost: the kernel's: a lookup or a store O(log N) nodes, a yield point per
 * node read on the way down and per pointer a store publishes; mt_init resets
 * only the nodes the previous execution used (the pool's high-water mark).
 */
#include "mtree.h"

#include <errno.h>
#include <limits.h>

void mt_init(struct maple_tree *mt, uint32_t obj_index, const char *name)
{
	SCHED_ASSERT(obj_index < (1u << 23) / KMAPLE_NODES_MAX);
	mt->obj = SCHED_OBJ(OBJ_MTREE, obj_index * 2);
	mt->name = name;
	mt->pool.obj_kind = OBJ_MAPLE_NODE;
	mt->pool.obj_base = obj_index * KMAPLE_NODES_MAX;
	kmaple_init(&mt->kt, &mt->pool, mt->obj, SCHED_OBJ(OBJ_MTREE, obj_index * 2 + 1), "ma_lock",
		    MTREE_LOCK_RANK);
}

/* ---- writers ---------------------------------------------------------------------------- */

/* Writers are agents (or a solo phase): ma_lock is a scheduler spinlock. */
static void mt_writer_check(void)
{
	SCHED_ASSERT(sched_current() >= 0);
}

int __mtree_store_range(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry,
			struct sched_site *site)
{
	mt_writer_check();
	return kmaple_store_range(&mt->kt, first, last, entry, site);
}

int __mtree_insert_range(struct maple_tree *mt, unsigned long first, unsigned long last,
			 void *entry, struct sched_site *site)
{
	mt_writer_check();
	return kmaple_insert_range(&mt->kt, first, last, entry, site);
}

void *__mtree_erase(struct maple_tree *mt, unsigned long index, struct sched_site *site)
{
	mt_writer_check();
	return kmaple_erase(&mt->kt, index, site);
}

void __mtree_destroy(struct maple_tree *mt, struct sched_site *site)
{
	mt_writer_check();
	kmaple_destroy(&mt->kt, site);
}

/*
 * Worst-case nodes of one store: the kernel's mas_prealloc_calc() for a spanning
 * store, 1 + 3 * height, at a height no pool reaches: nodes hold at least 5 of
 * their 10-16 slots, so KMAPLE_NODES_MAX nodes make at most 6 levels, plus one of
 * growth.  A constant, so that a pledge and its release count the same.
 */
#define MT_STORE_NODES_MAX (1 + 3 * 7)

int mt_preallocate(struct maple_tree *mt, unsigned int stores)
{
	uint32_t need = (stores + 1) * MT_STORE_NODES_MAX; /* + 1: exit_mmap's */

	return mt->pool.live + mt->pool.pledged + need <= mt->pool.limit ? 0 : -ENOMEM;
}

void mt_pledge(struct maple_tree *mt, unsigned int stores)
{
	mt->pool.pledged += stores * MT_STORE_NODES_MAX;
}

void mt_unpledge(struct maple_tree *mt, unsigned int stores)
{
	uint32_t n = stores * MT_STORE_NODES_MAX;

	mt->pool.pledged = n < mt->pool.pledged ? mt->pool.pledged - n : 0;
}

/* ---- readers ---------------------------------------------------------------------------- */

void *__mtree_load(struct maple_tree *mt, unsigned long index, struct sched_site *site)
{
	SCHED_ASSERT(sched_current() >= 0);
	return kmaple_load(&mt->kt, index, site);
}

void *mtree_load_oracle(const struct maple_tree *mt, unsigned long index)
{
	unsigned long first, last;
	void *entry = kmaple_peek((struct kmaple_tree_mem *)&mt->kt, index, &first, &last);

	return mt_is_zero(entry) ? NULL : entry;
}

void *__mt_find(struct maple_tree *mt, unsigned long *index, unsigned long max,
		struct sched_site *site)
{
	SCHED_ASSERT(sched_current() >= 0);
	return kmaple_find(&mt->kt, index, max, site);
}

static struct kmaple_mas_mem *mas_kernel(struct ma_state *mas)
{
	SCHED_ASSERT(sched_current() >= 0);
	if (mas->fresh) {
		kmaple_mas_set(&mas->k, &mas->tree->kt, mas->index);
		mas->fresh = false;
	}
	return &mas->k;
}

void *__mas_walk(struct ma_state *mas, struct sched_site *site)
{
	/* the kernel's mas_walk walks from mas->index whatever the state was */
	mas->fresh = true;
	return kmaple_mas_walk(mas_kernel(mas), &mas->index, &mas->last, site);
}

void *__mas_find(struct ma_state *mas, unsigned long max, struct sched_site *site)
{
	return kmaple_mas_find(mas_kernel(mas), max, &mas->index, &mas->last, site);
}

void *__mas_find_rev(struct ma_state *mas, unsigned long min, struct sched_site *site)
{
	return kmaple_mas_find_rev(mas_kernel(mas), min, &mas->index, &mas->last, site);
}

/* ---- gap search -------------------------------------------------------------------------- */

static bool slot_free(const void *entry)
{
	return !entry || mt_is_zero(entry);
}

/*
 * MT_EMPTY_ZERO_AS_GAP: runs of NULL and ZERO ranges, clipped to [min, max],
 * found by walking the window range by range (a node read per level each).
 * Lowest fit: the first run that reaches @size, its clipped start; highest: the
 * last such run, its clipped end minus size.
 */
static int gap_scan_zero_as_gap(struct maple_tree *mt, unsigned long min, unsigned long max,
				unsigned long size, bool rev, unsigned long *start,
				struct sched_site *site)
{
	MA_STATE(mas, mt, min, min);
	unsigned long lo = 0;
	bool in_run = false, found = false;

	for (;;) {
		void *entry = __mas_walk(&mas, site);

		if (!slot_free(entry)) {
			in_run = false;
		} else {
			if (!in_run)
				lo = mas.index > min ? mas.index : min;
			in_run = true;
			unsigned long hi = mas.last < max ? mas.last : max;
			if (hi - lo >= size - 1) {
				*start = rev ? hi - (size - 1) : lo;
				found = true;
				if (!rev)
					break;
			}
		}
		if (mas.last >= max)
			break;
		mas_set(&mas, mas.last + 1);
	}
	return found ? 0 : -EBUSY;
}

int __mt_empty_area(struct maple_tree *mt, unsigned long min, unsigned long max, unsigned long size,
		    unsigned int flags, unsigned long *start, struct sched_site *site)
{
	SCHED_ASSERT(!(flags & ~(unsigned int)(MT_EMPTY_REV | MT_EMPTY_ZERO_AS_GAP)));
	SCHED_ASSERT(sched_current() >= 0);
	if (min > max || size == 0 || max - min < size - 1)
		return -EINVAL;
	if (flags & MT_EMPTY_ZERO_AS_GAP)
		return gap_scan_zero_as_gap(mt, min, max, size, flags & MT_EMPTY_REV, start, site);
	return kmaple_empty_area(&mt->kt, min, max, size, flags & MT_EMPTY_REV, start, site);
}

/* ---- assertion helpers --------------------------------------------------------------------- */

void mt_validate(const struct maple_tree *mt)
{
	kmaple_validate((struct kmaple_tree_mem *)&mt->kt);
}
