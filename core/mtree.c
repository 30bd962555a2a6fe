/* SPDX-License-Identifier: MIT */
/*
 * The range map (see mtree.h).  A store copies the live version into a free node
 * with the change applied, publishes it with one pointer store and retires the old
 * one through call_rcu(); a published node is never written again.  A reader reads
 * the root with one yield point and then looks at an immutable array: nothing it
 * sees can be torn, and the grace period keeps a version an ma_state holds from
 * being reused under it.
 *
 * Cost: a store is O(N) (the copy), a point lookup O(log N) (binary search on the
 * pivots), gap search and iteration O(N), N <= MTREE_RANGES_MAX.  The pool is
 * scanned for its lowest free node, like folio_alloc(): deterministic, and a
 * just-freed node is the likely next one, which makes a stale reference visible.
 */
#include "mtree.h"

#include <errno.h>
#include <limits.h>

/* ---- one version --------------------------------------------------------------------- */

static unsigned long range_first(const struct maple_node *n, uint32_t i)
{
	return i ? n->pivot[i - 1] + 1 : 0;
}

/* The range holding @index.  O(log N). */
static uint32_t node_find(const struct maple_node *n, unsigned long index)
{
	uint32_t lo = 0, hi = n->count - 1; /* pivot[count - 1] == ULONG_MAX >= index */

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (n->pivot[mid] < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Append the range ending at @last; a NULL after a NULL extends it instead. */
static void node_push(struct maple_node *n, unsigned long last, void *entry)
{
	if (!entry && n->count && !n->slot[n->count - 1]) {
		n->pivot[n->count - 1] = last;
		return;
	}
	SCHED_ASSERT(n->count < MTREE_RANGES_MAX && "maple tree full: raise MTREE_RANGES_MAX");
	n->pivot[n->count] = last;
	n->slot[n->count] = entry;
	n->count++;
}

/*
 * @new = @old with [first, last] = @entry: the pieces of @old before @first, the
 * new range, the pieces after @last.  @new is the writer's alone: no yield points.
 */
static void node_build_store(struct maple_node *new, const struct maple_node *old,
			     unsigned long first, unsigned long last, void *entry)
{
	bool stored = false;

	new->count = 0;
	for (uint32_t i = 0; i < old->count; i++) {
		unsigned long start = range_first(old, i), end = old->pivot[i];

		if (start < first)
			node_push(new, end < first ? end : first - 1, old->slot[i]);
		if (!stored && end >= first) {
			node_push(new, last, entry);
			stored = true;
		}
		if (end > last)
			node_push(new, end, old->slot[i]);
	}
}

/* ---- the pool -------------------------------------------------------------------------- */

static struct maple_node *mt_node_alloc(struct maple_tree *mt)
{
	SCHED_ASSERT(mt->nodes_free > 0 && "maple node pool dry: a grace period never ended?");
	for (uint32_t i = 0; i < MTREE_NODES_MAX; i++) {
		struct maple_node *n = &mt->nodes[i];
		if (n->state != MAPLE_NODE_FREE)
			continue;
		n->state = MAPLE_NODE_NEW;
		if (i >= mt->nodes_used)
			mt->nodes_used = i + 1;
		mt->nodes_free--;
		if (mt->nodes_free < mt->nodes_free_min)
			mt->nodes_free_min = mt->nodes_free;
		return n;
	}
	sched_assert_fail("nodes_free counts a node that is not free", __FILE__, __LINE__,
			  __func__);
}

/*
 * RCU callback (kernel: mt_free_rcu): the grace period of a retired version is
 * over.  Runs as softirq work of whichever agent ended it; no yield points.
 */
static void mt_node_free_rcu(void *arg)
{
	struct maple_node *n = arg;

	SCHED_ASSERT(n->state == MAPLE_NODE_RETIRED);
	n->state = MAPLE_NODE_FREE;
	n->gen++;
	n->tree->nodes_free++;
}

void mt_init(struct maple_tree *mt, uint32_t obj_index, const char *name)
{
	SCHED_ASSERT(obj_index < (1u << 23));
	mt->obj = SCHED_OBJ(OBJ_MTREE, obj_index * 2);
	mt->name = name;
	spin_lock_init(&mt->ma_lock, SCHED_OBJ(OBJ_MTREE, obj_index * 2 + 1), "ma_lock",
		       MTREE_LOCK_RANK);
	/* nodes beyond the high-water mark are as the last full reset left them */
	bool initialised =
	    mt->nodes_used >= 1 && mt->nodes_used <= MTREE_NODES_MAX && mt->nodes[0].tree == mt;
	uint32_t reset = initialised ? mt->nodes_used : MTREE_NODES_MAX;
	for (uint32_t i = 0; i < reset; i++) {
		mt->nodes[i].state = MAPLE_NODE_FREE;
		mt->nodes[i].gen = 0;
		mt->nodes[i].count = 0;
		mt->nodes[i].tree = mt;
	}
	mt->nodes_used = 1; /* the root */
	struct maple_node *root = &mt->nodes[0];
	root->state = MAPLE_NODE_LIVE;
	root->count = 1;
	root->pivot[0] = ULONG_MAX;
	root->slot[0] = NULL;
	mt->ma_root = root;
	mt->nodes_free = mt->nodes_free_min = MTREE_NODES_MAX - 1;
}

/* ---- writers ---------------------------------------------------------------------------- */

/* mtree_lock(): writers are agents (or a solo phase), serialised by ma_lock. */
static void mt_lock(struct maple_tree *mt, struct sched_site *site)
{
	SCHED_ASSERT(sched_current() >= 0);
	spin_lock_at(&mt->ma_lock, site);
}

/*
 * Publish [first, last] = @entry.  The live version is read without a yield point:
 * only ma_lock holders change the root, and we hold it.
 * Context: ma_lock held.
 */
static void mt_store_locked(struct maple_tree *mt, unsigned long first, unsigned long last,
			    void *entry, struct sched_site *site)
{
	SCHED_ASSERT(spin_is_locked_by_me(&mt->ma_lock));
	struct maple_node *old = mt->ma_root;
	struct maple_node *new = mt_node_alloc(mt);

	node_build_store(new, old, first, last, entry);
	/* rcu_assign_pointer(): paired with the rcu_dereference in mt_root_read() */
	sched_yield(site, mt->obj, SCHED_OP_WRITE);
	new->state = MAPLE_NODE_LIVE;
	mt->ma_root = new;
	old->state = MAPLE_NODE_RETIRED;
	/* readers that read the old root may still be looking at it (kernel: ma_free_rcu) */
	call_rcu_at(mt_node_free_rcu, old, site);
}

int __mtree_store_range(struct maple_tree *mt, unsigned long first, unsigned long last, void *entry,
			struct sched_site *site)
{
	if (first > last)
		return -EINVAL;
	mt_lock(mt, site);
	mt_store_locked(mt, first, last, entry, site);
	spin_unlock_at(&mt->ma_lock, site);
	return 0;
}

int __mtree_insert_range(struct maple_tree *mt, unsigned long first, unsigned long last,
			 void *entry, struct sched_site *site)
{
	int ret = -EEXIST;

	if (first > last)
		return -EINVAL;
	mt_lock(mt, site);
	const struct maple_node *n = mt->ma_root;
	uint32_t i = node_find(n, first);
	/* NULLs are merged: [first, last] is all NULL iff the NULL range at first reaches last */
	if (!n->slot[i] && n->pivot[i] >= last) {
		mt_store_locked(mt, first, last, entry, site);
		ret = 0;
	}
	spin_unlock_at(&mt->ma_lock, site);
	return ret;
}

void *__mtree_erase(struct maple_tree *mt, unsigned long index, struct sched_site *site)
{
	mt_lock(mt, site);
	const struct maple_node *n = mt->ma_root;
	uint32_t i = node_find(n, index);
	void *entry = n->slot[i];
	if (entry)
		mt_store_locked(mt, range_first(n, i), n->pivot[i], NULL, site);
	spin_unlock_at(&mt->ma_lock, site);
	return entry;
}

/* ---- readers ---------------------------------------------------------------------------- */

/*
 * rcu_dereference(mt->ma_root): the one yield point of a lookup; paired with the
 * rcu_assign_pointer in mt_store_locked().  What it returns is immutable.
 */
static const struct maple_node *mt_root_read(struct maple_tree *mt, struct sched_site *site)
{
	SCHED_ASSERT(sched_current() >= 0);
	sched_yield(site, mt->obj, SCHED_OP_READ);
	const struct maple_node *n = mt->ma_root;
	SCHED_ASSERT(n->state == MAPLE_NODE_LIVE);
	return n;
}

void *__mtree_load(struct maple_tree *mt, unsigned long index, struct sched_site *site)
{
	rcu_read_lock_at(site);
	const struct maple_node *n = mt_root_read(mt, site);
	void *entry = n->slot[node_find(n, index)];
	rcu_read_unlock_at(site);
	return mt_is_zero(entry) ? NULL : entry;
}

void *mtree_load_oracle(const struct maple_tree *mt, unsigned long index)
{
	const struct maple_node *n = mt->ma_root;
	void *entry = n->slot[node_find(n, index)];
	return mt_is_zero(entry) ? NULL : entry;
}

void *__mt_find(struct maple_tree *mt, unsigned long *index, unsigned long max,
		struct sched_site *site)
{
	void *entry = NULL;
	unsigned long last = 0;

	if (*index > max)
		return NULL;
	rcu_read_lock_at(site);
	const struct maple_node *n = mt_root_read(mt, site);
	for (uint32_t i = node_find(n, *index); i < n->count && range_first(n, i) <= max; i++) {
		if (n->slot[i] && !mt_is_zero(n->slot[i])) {
			entry = n->slot[i];
			last = n->pivot[i];
			break;
		}
	}
	rcu_read_unlock_at(site);
	if (entry)
		*index = last + 1; /* wraps to 0 after ULONG_MAX: mt_find_after stops */
	return entry;
}

/* Take the current version into @mas. */
static const struct maple_node *mas_root_read(struct ma_state *mas, struct sched_site *site)
{
	const struct maple_node *n = mt_root_read(mas->tree, site);

	mas->node = n;
	mas->node_gen = n->gen;
	return n;
}

/*
 * The version @mas holds.  Freed (and maybe reused) under it means a grace period
 * ended while it was in use: the holder left its RCU section without mas_pause(),
 * or held neither RCU nor mmap_lock while a writer ran.
 */
static const struct maple_node *mas_node(const struct ma_state *mas)
{
	SCHED_ASSERT(mas->node->gen == mas->node_gen && "ma_state's version was freed under it");
	SCHED_ASSERT(mas->node->state != MAPLE_NODE_FREE);
	return mas->node;
}

void *__mas_walk(struct ma_state *mas, struct sched_site *site)
{
	const struct maple_node *n = mas_root_read(mas, site);
	uint32_t i = node_find(n, mas->index);

	mas->index = range_first(n, i);
	mas->last = n->pivot[i];
	mas->status = MA_ACTIVE;
	return n->slot[i];
}

void *__mas_find(struct ma_state *mas, unsigned long max, struct sched_site *site)
{
	const struct maple_node *n;
	unsigned long from = mas->index;

	if (mas->status == MA_DONE)
		return NULL;
	if (mas->status != MA_START) {
		/* continue after the range returned last (covers last == ULONG_MAX) */
		if (mas->last >= max)
			goto done;
		from = mas->last + 1;
	}
	if (from > max)
		goto done;
	n = mas->status == MA_ACTIVE ? mas_node(mas) : mas_root_read(mas, site);
	for (uint32_t i = node_find(n, from); i < n->count && range_first(n, i) <= max; i++) {
		if (!n->slot[i])
			continue;
		mas->index = range_first(n, i);
		mas->last = n->pivot[i];
		mas->status = MA_ACTIVE;
		return n->slot[i];
	}
done:
	mas->status = MA_DONE;
	mas->node = NULL;
	return NULL;
}

/* ---- gap search -------------------------------------------------------------------------- */

static bool slot_free(const void *entry, unsigned int flags)
{
	return !entry || (mt_is_zero(entry) && (flags & MT_EMPTY_ZERO_AS_GAP));
}

/*
 * Runs of free ranges, clipped to [min, max], scanned upwards; the first run that
 * reaches @size gives the lowest fit, its clipped start.
 */
static int gap_lowest(const struct maple_node *n, unsigned long min, unsigned long max,
		      unsigned long size, unsigned int flags, unsigned long *start)
{
	unsigned long lo = 0;
	bool in_run = false;

	for (uint32_t i = node_find(n, min); i < n->count && range_first(n, i) <= max; i++) {
		if (!slot_free(n->slot[i], flags)) {
			in_run = false;
			continue;
		}
		if (!in_run)
			lo = range_first(n, i) > min ? range_first(n, i) : min;
		in_run = true;
		unsigned long hi = n->pivot[i] < max ? n->pivot[i] : max;
		if (hi - lo >= size - 1) {
			*start = lo;
			return 0;
		}
	}
	return -EBUSY;
}

/* The mirror image: scanned downwards, the fit ends at the run's clipped end. */
static int gap_highest(const struct maple_node *n, unsigned long min, unsigned long max,
		       unsigned long size, unsigned int flags, unsigned long *start)
{
	unsigned long hi = 0;
	bool in_run = false;

	for (int64_t i = node_find(n, max); i >= 0 && n->pivot[i] >= min; i--) {
		if (!slot_free(n->slot[i], flags)) {
			in_run = false;
			continue;
		}
		if (!in_run)
			hi = n->pivot[i] < max ? n->pivot[i] : max;
		in_run = true;
		unsigned long lo = range_first(n, (uint32_t)i);
		if (lo < min)
			lo = min;
		if (hi - lo >= size - 1) {
			*start = hi - (size - 1);
			return 0;
		}
	}
	return -EBUSY;
}

int __mt_empty_area(struct maple_tree *mt, unsigned long min, unsigned long max, unsigned long size,
		    unsigned int flags, unsigned long *start, struct sched_site *site)
{
	SCHED_ASSERT(!(flags & ~(unsigned int)(MT_EMPTY_REV | MT_EMPTY_ZERO_AS_GAP)));
	if (min > max || size == 0 || max - min < size - 1)
		return -EINVAL;
	const struct maple_node *n = mt_root_read(mt, site);
	if (flags & MT_EMPTY_REV)
		return gap_highest(n, min, max, size, flags, start);
	return gap_lowest(n, min, max, size, flags, start);
}

/* ---- assertion helpers --------------------------------------------------------------------- */

void mt_validate(const struct maple_tree *mt)
{
	const struct maple_node *n = mt->ma_root;
	uint32_t states[MAPLE_NODE_RETIRED + 1] = {0};

	SCHED_ASSERT(n >= mt->nodes && n < mt->nodes + MTREE_NODES_MAX);
	SCHED_ASSERT(n->state == MAPLE_NODE_LIVE);
	SCHED_ASSERT(n->count >= 1 && n->count <= MTREE_RANGES_MAX);
	SCHED_ASSERT(n->pivot[n->count - 1] == ULONG_MAX); /* covers [0, ULONG_MAX] */
	for (uint32_t i = 1; i < n->count; i++) {
		SCHED_ASSERT(n->pivot[i - 1] < n->pivot[i]); /* sorted, no empty range */
		SCHED_ASSERT(n->slot[i - 1] || n->slot[i]);  /* adjacent NULLs merged */
	}
	for (uint32_t i = 0; i < MTREE_NODES_MAX; i++) {
		SCHED_ASSERT(mt->nodes[i].tree == mt);
		SCHED_ASSERT(mt->nodes[i].state <= MAPLE_NODE_RETIRED);
		states[mt->nodes[i].state]++;
	}
	SCHED_ASSERT(states[MAPLE_NODE_LIVE] == 1);
	SCHED_ASSERT(states[MAPLE_NODE_NEW] <= (mt->ma_lock.owner != SCHED_NO_AGENT));
	SCHED_ASSERT(states[MAPLE_NODE_FREE] == mt->nodes_free);
	SCHED_ASSERT(mt->nodes_free_min <= mt->nodes_free);
}
