/* SPDX-License-Identifier: MIT */
/*
 * The kernel's own lib/maple_tree.c, compiled on mmfuzz's scheduler.  The source
 * is not in this repository: the build extracts lib/maple_tree.c and
 * include/linux/maple_tree.h from Debian's linux-source-6.12 package into
 * build/ksrc (Makefile) and this file includes it; what it includes resolves to
 * the shims of core/kernel/include (kshim.h).  Everything below the #include is
 * ours: the node arena (kmem_cache_*), RCU frees in batches, the yield points of
 * node reads and publications with the use-after-free check, and the bridge
 * (maple_glue.h) that core/mtree.c calls.
 *
 * Which tree an allocation or a node read belongs to: the kernel's allocator
 * takes no tree, so each bridge call records its tree and its caller's site per
 * simulated CPU (kmaple_cur[agent]); a yield inside the kernel code may run
 * another CPU's tree operation, never this CPU's.
 *
 * Use after free: a freed node is poisoned (zeroed: its dead mark goes) and sits
 * in a quarantine before reuse; a reader's dead-node test (ma_dead_node, renamed
 * by the Makefile so that the shim can check first) or slot read on a freed node
 * is a `use-after-free` finding.  A re-walk that leaves a reader without a node
 * (the tree emptied under an RCU iteration) is an `mm-bug` finding.
 *
 * Leaves out: CONFIG_DEBUG_MAPLE_TREE (mt_validate, mt_dump: kmaple_validate
 * checks the structure itself), the external lock (MT_FLAGS_LOCK_EXTERN).
 */
#include "kshim.h"

/*
 * The kernel's one-argument spin_lock_init() (mt_init_flags): the glue inits
 * ma_lock itself.  The kernel's test suite (tests/kernel/) defines its own first.
 */
#ifndef spin_lock_init
#define spin_lock_init(l) ((void)(l))
#endif

#include "maple_tree.c" /* build/ksrc/lib/maple_tree.c, from linux-source-6.12 */

#include "maple_glue.h"

struct kmaple_tree {
	struct maple_tree mt;
	struct kmaple_pool *pool;
	uint32_t root_obj; /* the yield points on ma_root */
};

_Static_assert(sizeof(struct kmaple_tree) <= sizeof(struct kmaple_tree_mem), "kmaple_tree_mem");
_Static_assert(sizeof(struct ma_state) <= sizeof(struct kmaple_mas_mem), "kmaple_mas_mem");
_Static_assert(sizeof(struct maple_node) == KMAPLE_NODE_BYTES, "maple_node is 256 bytes");
_Static_assert(KMAPLE_NODES_MAX <= 65536, "free_ring holds uint16_t");

static struct kmaple_tree *kmaple_cur[SCHED_AGENTS_MAX];
static struct sched_site *kmaple_cur_site[SCHED_AGENTS_MAX]; /* the caller's */
static struct kmaple_pool *kmaple_cb_pool; /* set while a batch's RCU callback runs */

static struct kmaple_tree *kmaple_enter(struct kmaple_tree_mem *kt, struct sched_site *site)
{
	int me = sched_current();

	SCHED_ASSERT(me >= 0 && me < SCHED_AGENTS_MAX);
	kmaple_cur[me] = (struct kmaple_tree *)kt;
	kmaple_cur_site[me] = site;
	return kmaple_cur[me];
}

struct sched_site *kmaple_site(void)
{
	int me = sched_current();

	SCHED_ASSERT(me >= 0 && me < SCHED_AGENTS_MAX && kmaple_cur_site[me]);
	return kmaple_cur_site[me];
}

static struct kmaple_tree *kmaple_current(void)
{
	int me = sched_current();

	SCHED_ASSERT(me >= 0 && me < SCHED_AGENTS_MAX && kmaple_cur[me]);
	return kmaple_cur[me];
}

bool kmaple_bug(bool cond, const char *what, struct sched_site *site)
{
	if (likely(!cond))
		return false;
	if (!site->id)
		sched_site_init(site);
	sched_finding("mm-bug", site, NULL, 0, "lib/maple_tree.c: %s", what);
	return true;
}

/* ---- the node arena ------------------------------------------------------------------ */

static uint32_t pool_index(const struct kmaple_pool *pool, const void *p)
{
	uintptr_t off = (uintptr_t)p - (uintptr_t)pool->nodes;

	SCHED_ASSERT(off < sizeof(pool->nodes) && "not a node of this tree's pool");
	return (uint32_t)(off / KMAPLE_NODE_BYTES);
}

/*
 * A never-used node while fewer than KMAPLE_QUARANTINE freed ones wait, else the
 * oldest freed one; NULL at the limit.  O(1).  The quarantine (KASAN's idea)
 * keeps a just-freed node FREE for a while, so that a stale reader's access finds
 * it freed instead of reused.
 */
static void *pool_alloc(struct kmaple_pool *pool)
{
	uint32_t i;

	if (pool->live >= pool->limit)
		return NULL;
	if (pool->free_count > KMAPLE_QUARANTINE ||
	    (pool->free_count && pool->hwm == KMAPLE_NODES_MAX)) {
		i = pool->free_ring[pool->free_head];
		pool->free_head = (pool->free_head + 1) % KMAPLE_NODES_MAX;
		pool->free_count--;
	} else if (pool->hwm < KMAPLE_NODES_MAX) {
		i = pool->hwm++;
	} else {
		return NULL;
	}
	SCHED_ASSERT(pool->state[i] == KMAPLE_NODE_FREE);
	pool->state[i] = KMAPLE_NODE_LIVE;
	if (++pool->live > pool->live_max)
		pool->live_max = pool->live;
	memset(pool->nodes[i], 0, KMAPLE_NODE_BYTES);
	return pool->nodes[i];
}

static void pool_free(struct kmaple_pool *pool, void *p)
{
	uint32_t i = pool_index(pool, p);

	SCHED_ASSERT(pool->state[i] != KMAPLE_NODE_FREE && "maple node freed twice");
	SCHED_ASSERT(pool->free_count < KMAPLE_NODES_MAX);
	pool->retired -= pool->state[i] == KMAPLE_NODE_RETIRED;
	pool->state[i] = KMAPLE_NODE_FREE;
	/*
	 * The slab's poisoning: the dead mark (parent == self) goes with the memory,
	 * so a stale reader does not re-walk but reads on, into a slot: the
	 * use-after-free finding (kmaple_read).  KASAN would stop it one read earlier.
	 */
	memset(pool->nodes[i], 0, KMAPLE_NODE_BYTES);
	pool->free_ring[(pool->free_head + pool->free_count) % KMAPLE_NODES_MAX] = (uint16_t)i;
	pool->free_count++;
	pool->live--;
}

static struct kmaple_pool *pool_current(void)
{
	return kmaple_cb_pool ? kmaple_cb_pool : kmaple_current()->pool;
}

struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned int flags, void (*ctor)(void *))
{
	(void)name, (void)size, (void)align, (void)flags, (void)ctor;
	return NULL;
}

void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp)
{
	(void)cache, (void)gfp;
	return pool_alloc(pool_current());
}

void kmem_cache_free(struct kmem_cache *cache, void *obj)
{
	(void)cache;
	pool_free(pool_current(), obj);
}

/* All or nothing, as the slab allocator: returns @count or 0. */
int kmem_cache_alloc_bulk(struct kmem_cache *cache, gfp_t gfp, size_t count, void **objs)
{
	struct kmaple_pool *pool = pool_current();

	(void)cache, (void)gfp;
	for (size_t i = 0; i < count; i++) {
		objs[i] = pool_alloc(pool);
		if (!objs[i]) {
			while (i--)
				pool_free(pool, objs[i]);
			return 0;
		}
	}
	return (int)count;
}

void kmem_cache_free_bulk(struct kmem_cache *cache, size_t count, void **objs)
{
	(void)cache;
	for (size_t i = 0; i < count; i++)
		pool_free(pool_current(), objs[i]);
}

/* ---- RCU: one grace period per operation's retired nodes --------------------------------- */

void kmaple_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head))
{
	struct kmaple_pool *pool = kmaple_current()->pool;
	uint32_t i = pool_index(pool, head);

	SCHED_ASSERT(pool->state[i] == KMAPLE_NODE_LIVE);
	pool->state[i] = KMAPLE_NODE_RETIRED;
	pool->retired++;
	head->func = func;
	head->next = pool->retiring;
	pool->retiring = head;
}

/* RCU callback: the grace period of one operation's retired nodes is over. */
static void kmaple_batch_rcu(void *arg)
{
	struct kmaple_batch *b = arg;
	struct kmaple_pool *pool = b->pool;
	struct kmaple_pool *saved = kmaple_cb_pool;

	kmaple_cb_pool = pool;
	for (struct rcu_head *h = b->list, *next; h; h = next) {
		next = h->next;
		h->func(h);
	}
	kmaple_cb_pool = saved;
	b->list = NULL;
	b->next_free = pool->batch_free;
	pool->batch_free = (uint32_t)(b - pool->batch);
}

/* End of an operation: what it retired waits for one grace period. */
static void kmaple_leave(struct kmaple_tree *t)
{
	struct kmaple_pool *pool = t->pool;
	struct kmaple_batch *b;

	if (!pool->retiring)
		return;
	if (pool->batch_free < KMAPLE_BATCHES_MAX) {
		b = &pool->batch[pool->batch_free];
		pool->batch_free = b->next_free;
	} else {
		SCHED_ASSERT(pool->batch_hwm < KMAPLE_BATCHES_MAX && "RCU batches exhausted");
		b = &pool->batch[pool->batch_hwm++];
	}
	b->pool = pool;
	b->list = pool->retiring;
	pool->retiring = NULL;
	call_rcu_at(kmaple_batch_rcu, b, kmaple_site());
}

/* ---- yield points ------------------------------------------------------------------------- */

/*
 * KMAPLE_ANY_ROOT: every tree's nodes come from one pool (the kernel's test suite,
 * tests/kernel/, which runs many trees and calls the kernel API directly), and a
 * slot outside it is some tree's ma_root, all one object.
 */
#ifndef KMAPLE_ANY_ROOT
#define KMAPLE_ANY_ROOT 0
#endif

static bool pool_has(const struct kmaple_pool *pool, const void *p)
{
	return (uintptr_t)p - (uintptr_t)pool->nodes < sizeof(pool->nodes);
}

/* The object whose field @slot is: a node of the current tree, or its ma_root. */
static uint32_t kmaple_obj(struct kmaple_tree *t, const void *slot, int32_t *node)
{
	if (slot == (const void *)&t->mt.ma_root || (KMAPLE_ANY_ROOT && !pool_has(t->pool, slot))) {
		*node = -1;
		return t->root_obj;
	}
	*node = (int32_t)pool_index(t->pool, slot);
	return SCHED_OBJ(t->pool->obj_kind, t->pool->obj_base + (uint32_t)*node);
}

/* @ksite: the kernel function's, for the message; the finding is at the caller's site. */
static void kmaple_check_node(struct kmaple_tree *t, int32_t node, struct sched_site *ksite,
			      const char *what)
{
	if (node >= 0 && unlikely(t->pool->state[node] == KMAPLE_NODE_FREE))
		sched_finding("use-after-free", kmaple_site(), NULL, 1u << sched_current(),
			      "maple node %d %s after its grace period (%s)", node, what,
			      ksite->func);
}

void kmaple_node_check(const struct maple_node *node, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_current();

	/*
	 * A reader whose re-walk (mas_rewalk) found the tree emptied has no node
	 * (mas->node == NULL, ma_none), and mas_next_slot()/mas_prev_slot() retry
	 * with it: the kernel would read NULL->parent.
	 */
	if (unlikely(!node))
		sched_finding(
		    "mm-bug", kmaple_site(), NULL, 1u << sched_current(),
		    "lib/maple_tree.c: ma_dead_node(NULL) in %s: a re-walk found the tree "
		    "empty",
		    site->func);
	kmaple_check_node(t, (int32_t)pool_index(t->pool, node), site, "read");
}

void *kmaple_read(void *const *slot, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_current();
	int32_t node;
	uint32_t obj = kmaple_obj(t, slot, &node);

	sched_yield(kmaple_site(), obj, SCHED_OP_READ);
	kmaple_check_node(t, node, site, "read");
	return *(void *const volatile *)slot;
}

void kmaple_publish(void **slot, void *value, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_current();
	int32_t node;
	uint32_t obj = kmaple_obj(t, slot, &node);

	sched_yield(kmaple_site(), obj, SCHED_OP_WRITE);
	kmaple_check_node(t, node, site, "written");
	*(void *volatile *)slot = value;
}

/* ---- the bridge ---------------------------------------------------------------------------- */

void kmaple_init(struct kmaple_tree_mem *kt, struct kmaple_pool *pool, uint32_t root_obj,
		 uint32_t lock_obj, const char *name, int lock_rank)
{
	struct kmaple_tree *t = (struct kmaple_tree *)kt;

	memset(pool->state, 0, pool->hwm); /* what the last execution used, nothing more */
	pool->hwm = pool->live = pool->live_max = pool->retired = pool->pledged = 0;
	pool->limit = KMAPLE_NODES_MAX;
	pool->free_head = pool->free_count = 0;
	pool->retiring = NULL;
	pool->batch_free = KMAPLE_BATCHES_MAX; /* none freed yet: take batch[batch_hwm++] */
	pool->batch_hwm = 0;
	memset(t, 0, sizeof(*t));
	t->pool = pool;
	t->root_obj = root_obj;
	t->mt.ma_flags = MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU;
	t->mt.ma_root = NULL;
	(spin_lock_init)(&t->mt.ma_lock, lock_obj, name, lock_rank);
}

/* mtree_store_range() or mtree_insert_range(): they take the same arguments. */
typedef int kmaple_range_fn(struct maple_tree *mt, unsigned long first, unsigned long last,
			    void *entry, gfp_t gfp);

static int kmaple_range_write(kmaple_range_fn *fn, struct kmaple_tree_mem *kt, unsigned long first,
			      unsigned long last, void *entry, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_enter(kt, site);
	int ret = fn(&t->mt, first, last, entry, GFP_KERNEL);

	kmaple_leave(t);
	return ret;
}

int kmaple_store_range(struct kmaple_tree_mem *kt, unsigned long first, unsigned long last,
		       void *entry, struct sched_site *site)
{
	return kmaple_range_write(mtree_store_range, kt, first, last, entry, site);
}

int kmaple_insert_range(struct kmaple_tree_mem *kt, unsigned long first, unsigned long last,
			void *entry, struct sched_site *site)
{
	return kmaple_range_write(mtree_insert_range, kt, first, last, entry, site);
}

void *kmaple_erase(struct kmaple_tree_mem *kt, unsigned long index, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_enter(kt, site);
	void *entry = mtree_erase(&t->mt, index);

	kmaple_leave(t);
	return entry;
}

void kmaple_destroy(struct kmaple_tree_mem *kt, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_enter(kt, site);

	mt_clear_in_rcu(&t->mt);
	mtree_destroy(&t->mt);
	kmaple_leave(t);
}

void *kmaple_load(struct kmaple_tree_mem *kt, unsigned long index, struct sched_site *site)
{
	return mtree_load(&kmaple_enter(kt, site)->mt, index);
}

void *kmaple_find(struct kmaple_tree_mem *kt, unsigned long *index, unsigned long max,
		  struct sched_site *site)
{
	return mt_find(&kmaple_enter(kt, site)->mt, index, max);
}

void kmaple_mas_set(struct kmaple_mas_mem *km, struct kmaple_tree_mem *kt, unsigned long index)
{
	struct ma_state *mas = (struct ma_state *)km;
	MA_STATE(fresh, &((struct kmaple_tree *)kt)->mt, index, index);

	*mas = fresh;
}

static struct ma_state *kmaple_mas(struct kmaple_mas_mem *km, struct sched_site *site)
{
	struct ma_state *mas = (struct ma_state *)km;

	kmaple_enter((struct kmaple_tree_mem *)mas->tree, site);
	return mas;
}

void *kmaple_mas_walk(struct kmaple_mas_mem *km, unsigned long *index, unsigned long *last,
		      struct sched_site *site)
{
	struct ma_state *mas = kmaple_mas(km, site);
	void *entry = mas_walk(mas);

	*index = mas->index;
	*last = mas->last;
	return entry;
}

void *kmaple_mas_find(struct kmaple_mas_mem *km, unsigned long max, unsigned long *index,
		      unsigned long *last, struct sched_site *site)
{
	struct ma_state *mas = kmaple_mas(km, site);
	void *entry = mas_find(mas, max);

	*index = mas->index;
	*last = mas->last;
	return entry;
}

void *kmaple_mas_find_rev(struct kmaple_mas_mem *km, unsigned long min, unsigned long *index,
			  unsigned long *last, struct sched_site *site)
{
	struct ma_state *mas = kmaple_mas(km, site);
	void *entry = mas_find_rev(mas, min);

	*index = mas->index;
	*last = mas->last;
	return entry;
}

void kmaple_mas_pause(struct kmaple_mas_mem *km)
{
	mas_pause((struct ma_state *)km);
}

int kmaple_empty_area(struct kmaple_tree_mem *kt, unsigned long min, unsigned long max,
		      unsigned long size, bool rev, unsigned long *start, struct sched_site *site)
{
	struct kmaple_tree *t = kmaple_enter(kt, site);
	MA_STATE(mas, &t->mt, 0, 0);
	int ret =
	    rev ? mas_empty_area_rev(&mas, min, max, size) : mas_empty_area(&mas, min, max, size);

	if (!ret)
		*start = mas.index;
	return ret;
}

/* ---- views without yield points ---------------------------------------------------------------
 */

/* The leaf range holding @index, as mtree_lookup_walk() descends, reading nodes directly. */
void *kmaple_peek(struct kmaple_tree_mem *kt, unsigned long index, unsigned long *first,
		  unsigned long *last)
{
	struct kmaple_tree *t = (struct kmaple_tree *)kt;
	void *entry = t->mt.ma_root;
	unsigned long min = 0, max = ULONG_MAX;

	if (!xa_is_node(entry)) { /* empty, or one entry at index 0 in the root */
		if (!entry || index > 0) {
			*first = entry ? 1 : 0;
			*last = ULONG_MAX;
			return NULL;
		}
		*first = *last = 0;
		return entry;
	}
	for (;;) {
		struct maple_enode *enode = entry;
		struct maple_node *node = mte_to_node(enode);
		enum maple_type type = mte_node_type(enode);
		unsigned long *pivots = ma_pivots(node, type);
		unsigned char end = mt_pivots[type], offset = 0;

		while (offset < end && index > pivots[offset])
			offset++;
		unsigned long lo = offset ? pivots[offset - 1] + 1 : min;
		unsigned long hi = offset < end ? pivots[offset] : max;
		entry = ma_slots(node, type)[offset];
		min = lo;
		max = hi;
		if (ma_is_leaf(type))
			break;
	}
	*first = min;
	*last = max;
	return entry;
}

/*
 * One node and its subtree, which covers [min, max]: live, not dead, its parent
 * pointer right; ranges sorted and inside [min, max], the last one ending at max;
 * no two adjacent NULLs in a leaf; in a gap-tracking node, each gap entry the
 * largest NULL range below it.  Returns the subtree's largest gap.
 */
static unsigned long kmaple_validate_node(struct kmaple_tree *t, struct maple_enode *enode,
					  struct maple_node *parent, unsigned long min,
					  unsigned long max)
{
	struct maple_node *node = mte_to_node(enode);
	enum maple_type type = mte_node_type(enode);
	unsigned long *pivots = ma_pivots(node, type);
	void **slots = ma_slots(node, type);
	unsigned char end = ma_data_end(node, type, pivots, max);
	unsigned long lo = min, gap_max = 0;
	bool prev_null = false;
	uint32_t i = pool_index(t->pool, node);

	SCHED_ASSERT(t->pool->state[i] == KMAPLE_NODE_LIVE);
	SCHED_ASSERT(!ma_dead_node_unchecked(node));
	SCHED_ASSERT(parent ? mte_parent(enode) == parent : mte_is_root(enode));
	SCHED_ASSERT(end < mt_slots[type]);
	for (unsigned char off = 0; off <= end; off++) {
		unsigned long hi = off < end ? pivots[off] : max;
		unsigned long gap = 0;

		SCHED_ASSERT(lo <= hi && hi <= max);
		if (ma_is_leaf(type)) {
			SCHED_ASSERT(slots[off] || !prev_null); /* NULLs merge */
			prev_null = !slots[off];
			if (!slots[off])
				gap = hi - lo + 1;
		} else {
			SCHED_ASSERT(slots[off]);
			gap = kmaple_validate_node(t, slots[off], node, lo, hi);
			if (type == maple_arange_64)
				SCHED_ASSERT(ma_gaps(node, type)[off] == gap);
		}
		if (gap > gap_max)
			gap_max = gap;
		if (off < end)
			lo = hi + 1;
	}
	return gap_max;
}

void kmaple_validate(struct kmaple_tree_mem *kt)
{
	struct kmaple_tree *t = (struct kmaple_tree *)kt;
	struct kmaple_pool *pool = t->pool;
	uint32_t states[KMAPLE_NODE_RETIRED + 1] = {0};
	if (xa_is_node(t->mt.ma_root))
		kmaple_validate_node(t, mte_safe_root(t->mt.ma_root), NULL, 0, ULONG_MAX);
	for (uint32_t i = 0; i < pool->hwm; i++)
		states[pool->state[i]]++;
	SCHED_ASSERT(states[KMAPLE_NODE_FREE] == pool->free_count);
	SCHED_ASSERT(states[KMAPLE_NODE_LIVE] + states[KMAPLE_NODE_RETIRED] == pool->live);
	SCHED_ASSERT(states[KMAPLE_NODE_RETIRED] == pool->retired);
	SCHED_ASSERT(pool->live <= pool->live_max);
}
