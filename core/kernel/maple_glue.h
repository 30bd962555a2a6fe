/* SPDX-License-Identifier: MIT */
/*
 * The bridge between core/mtree.c (mmfuzz's API, kernel names with a caller's
 * site) and the kernel's lib/maple_tree.c compiled in maple_glue.c.  Only plain
 * C types cross it: the kernel's struct maple_tree and struct ma_state live in
 * opaque storage here, so that no file but maple_glue.c sees a kernel header.
 *
 * The node pool is a tree's own arena of 256-byte nodes (the kernel's
 * maple_node_cache).  Allocation takes the next never-used node (the high-water
 * mark) while few freed ones wait, else the oldest freed one; a reset touches
 * only the states of the nodes used (hwm bytes), never the node memory.
 * Freeing in RCU mode is batched: the nodes one operation retires wait for one
 * grace period (one call_rcu), then return to the pool.
 */
#ifndef MMFUZZ_MAPLE_GLUE_H
#define MMFUZZ_MAPLE_GLUE_H

#include <stdbool.h>
#include <stdint.h>

#include "../../scheduler/sched.h"

#define KMAPLE_NODE_BYTES 256
/*
 * Nodes per tree: 10,000 ranges (VMA, gap, VMA, ...) need ~1,500; headroom for RCU.
 * The kernel's test suite (tests/kernel/, its own build of the glue) sets its own.
 */
#ifndef KMAPLE_NODES_MAX
#define KMAPLE_NODES_MAX 4096
#endif
/* Freed nodes that wait before reuse (see pool_alloc). */
#define KMAPLE_QUARANTINE 64
/* Operations whose retired nodes may wait for a grace period at once. */
#define KMAPLE_BATCHES_MAX (SCHED_RCU_CBS_MAX + 1)

enum kmaple_node_state {
	KMAPLE_NODE_FREE,
	KMAPLE_NODE_LIVE,    /* allocated: in the tree or in an operation's hands */
	KMAPLE_NODE_RETIRED, /* call_rcu()ed, waiting for its grace period */
};

struct kmaple_batch {
	struct kmaple_pool *pool;
	void *list; /* struct rcu_head chain */
	uint32_t next_free;
};

struct kmaple_pool {
	uint32_t obj_kind;   /* SCHED_OBJ kind of the nodes' yield points */
	uint32_t obj_base;   /* node i is SCHED_OBJ(obj_kind, obj_base + i) */
	uint32_t hwm;	     /* nodes [0, hwm) have been used since the reset */
	uint32_t live;	     /* nodes not FREE */
	uint32_t live_max;   /* high-water mark of live, for tests */
	uint32_t retired;    /* nodes waiting for their grace period */
	uint32_t pledged;    /* nodes promised to stores to come (mt_pledge) */
	uint32_t limit;	     /* allocation fails (-ENOMEM) beyond this many live */
	uint32_t free_head;  /* FIFO of freed nodes below hwm: ring indices */
	uint32_t free_count; /* nodes in the FIFO */
	void *retiring;	     /* rcu_heads retired by the running operation */
	uint32_t batch_free; /* stack of freed batches, KMAPLE_BATCHES_MAX = empty */
	uint32_t batch_hwm;  /* batches [0, batch_hwm) used since the reset */
	struct kmaple_batch batch[KMAPLE_BATCHES_MAX];
	uint16_t free_ring[KMAPLE_NODES_MAX];
	uint8_t state[KMAPLE_NODES_MAX];
	_Alignas(KMAPLE_NODE_BYTES) unsigned char nodes[KMAPLE_NODES_MAX][KMAPLE_NODE_BYTES];
};

/* Storage for the kernel's struct maple_tree and struct ma_state (checked in maple_glue.c). */
struct kmaple_tree_mem {
	_Alignas(8) unsigned char b[64];
};
struct kmaple_mas_mem {
	_Alignas(8) unsigned char b[96];
};

/*
 * Every yield point inside a bridge call (the kernel's node reads and
 * publications, its ma_lock and RCU operations) carries the caller's @site, as
 * the flat map's did: schedules anchor at "split_vma:mtree_store_range#3" and
 * findings name the MM function; the object id names the node.
 */

/* A tree in RCU mode with gap tracking (the mm's: MT_FLAGS_ALLOC_RANGE | MT_FLAGS_USE_RCU). */
void kmaple_init(struct kmaple_tree_mem *kt, struct kmaple_pool *pool, uint32_t root_obj,
		 uint32_t lock_obj, const char *name, int lock_rank);

int kmaple_store_range(struct kmaple_tree_mem *kt, unsigned long first, unsigned long last,
		       void *entry, struct sched_site *site);
int kmaple_insert_range(struct kmaple_tree_mem *kt, unsigned long first, unsigned long last,
			void *entry, struct sched_site *site);
void *kmaple_erase(struct kmaple_tree_mem *kt, unsigned long index, struct sched_site *site);
/* mt_clear_in_rcu() then mtree_destroy(): every node straight back to the pool. */
void kmaple_destroy(struct kmaple_tree_mem *kt, struct sched_site *site);
void *kmaple_load(struct kmaple_tree_mem *kt, unsigned long index, struct sched_site *site);
void *kmaple_find(struct kmaple_tree_mem *kt, unsigned long *index, unsigned long max,
		  struct sched_site *site);

/* Cursors: mas_* on the kernel state in @km; *index and *last mirror it after each call. */
void kmaple_mas_set(struct kmaple_mas_mem *km, struct kmaple_tree_mem *kt, unsigned long index);
void *kmaple_mas_walk(struct kmaple_mas_mem *km, unsigned long *index, unsigned long *last,
		      struct sched_site *site);
void *kmaple_mas_find(struct kmaple_mas_mem *km, unsigned long max, unsigned long *index,
		      unsigned long *last, struct sched_site *site);
void *kmaple_mas_find_rev(struct kmaple_mas_mem *km, unsigned long min, unsigned long *index,
			  unsigned long *last, struct sched_site *site);
void kmaple_mas_pause(struct kmaple_mas_mem *km);
int kmaple_empty_area(struct kmaple_tree_mem *kt, unsigned long min, unsigned long max,
		      unsigned long size, bool rev, unsigned long *start, struct sched_site *site);

/*
 * Without yield points: the entry at @index as stored, and its range (the
 * oracles' view, and assertion helpers).
 */
void *kmaple_peek(struct kmaple_tree_mem *kt, unsigned long index, unsigned long *first,
		  unsigned long *last);
/* Assertion helper: the tree's structure (pivots, gaps, parents) and the pool's accounting. */
void kmaple_validate(struct kmaple_tree_mem *kt);

#endif
