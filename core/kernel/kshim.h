/* SPDX-License-Identifier: MIT */
/*
 * The kernel environment lib/maple_tree.c is compiled in (by maple_glue.c only):
 * what it includes from <linux/...>, <asm/barrier.h> and <trace/events/...>,
 * written here for mmfuzz's scheduler instead of the kernel's, the way the
 * kernel's tools/testing/radix-tree builds it for urcu and pthreads.
 *
 *   rcu_dereference_check/_protected  a yield point (read) on the node or root it
 *                                     reads, and the use-after-free check
 *   rcu_assign_pointer                a yield point (write): a publication
 *   rcu_read_lock/unlock, spin_lock   the scheduler's (sync.h)
 *   every yield point above           at the bridge caller's site (maple_glue.h)
 *   call_rcu                          the node arena's batched grace period
 *   kmem_cache_*                      the node arena (maple_glue.c): arena
 *                                     indices, never addresses, in behaviour
 *   BUG_ON/WARN_ON                    `mm-bug` findings: the kernel's own checks
 *
 * Leaves out: lockdep maps (CONFIG_LOCKDEP off: the scheduler's lock ownership
 * checks stand in), tracepoints, CONFIG_DEBUG_MAPLE_TREE's dump and validate.
 */
#ifndef MMFUZZ_KSHIM_H
#define MMFUZZ_KSHIM_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../scheduler/sched.h"
#include "../../scheduler/sync.h"

#ifndef __KERNEL__
#define __KERNEL__ 1
#endif
#define CONFIG_64BIT 1

/* ---- types ------------------------------------------------------------------ */
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;
#define __rcu
#define __must_hold(x)
#undef __always_inline
#define __always_inline	   inline __attribute__((always_inline))
#define __maybe_unused	   __attribute__((unused))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define noinline	   __attribute__((noinline))
#define __init
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define fallthrough __attribute__((__fallthrough__))
#define EXPORT_SYMBOL(x)
#define EXPORT_SYMBOL_GPL(x)
#define U8_MAX ((u8)~0U)

#define ARRAY_SIZE(a)			(sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define min(a, b)                                                                                  \
	({                                                                                         \
		__typeof__(a) min_a__ = (a);                                                       \
		__typeof__(b) min_b__ = (b);                                                       \
		min_a__ < min_b__ ? min_a__ : min_b__;                                             \
	})
#define max(a, b)                                                                                  \
	({                                                                                         \
		__typeof__(a) max_a__ = (a);                                                       \
		__typeof__(b) max_b__ = (b);                                                       \
		max_a__ > max_b__ ? max_a__ : max_b__;                                             \
	})
#define min_t(t, a, b) min((t)(a), (t)(b))
#define max_t(t, a, b) max((t)(a), (t)(b))
#define swap(a, b)                                                                                 \
	do {                                                                                       \
		__typeof__(a) swap_t__ = (a);                                                      \
		(a) = (b);                                                                         \
		(b) = swap_t__;                                                                    \
	} while (0)

/* ---- printing: the tree's dump paths only (CONFIG_DEBUG_MAPLE_TREE is off) ---- */
#define pr_err(...)  ((void)0)
#define pr_info(...) ((void)0)
#define pr_cont(...) ((void)0)

/* ---- the kernel's own checks: findings, not simulator assertions ------------------ */
bool kmaple_bug(bool cond, const char *what, struct sched_site *site);
#define KMAPLE_CHECK(cond, what)                                                                   \
	({                                                                                         \
		SCHED_SITE_DEFINE(kmaple_bug_site__, what);                                        \
		kmaple_bug(!!(cond), #cond, &kmaple_bug_site__);                                   \
	})
#define BUG_ON(cond)	   ((void)KMAPLE_CHECK(cond, "BUG_ON"))
#define WARN_ON(cond)	   KMAPLE_CHECK(cond, "WARN_ON")
#define WARN_ON_ONCE(cond) KMAPLE_CHECK(cond, "WARN_ON_ONCE")

/* ---- barriers: the memory model is sequentially consistent -------------------------- */
#define barrier()	 __asm__ __volatile__("" ::: "memory")
#define smp_wmb()	 barrier()
#define smp_rmb()	 barrier()
#define smp_mb()	 barrier()
#define READ_ONCE(x)	 (*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/* ---- xarray's internal entries (include/linux/xarray.h) ------------------------------ */
static inline void *xa_mk_internal(unsigned long v)
{
	return (void *)((v << 2) | 2);
}
static inline unsigned long xa_to_internal(const void *entry)
{
	return (unsigned long)entry >> 2;
}
static inline bool xa_is_internal(const void *entry)
{
	return ((unsigned long)entry & 3) == 2;
}
static inline bool xa_is_value(const void *entry)
{
	return (unsigned long)entry & 1;
}
static inline unsigned long xa_to_value(const void *entry)
{
	return (unsigned long)entry >> 1;
}
#define XA_RETRY_ENTRY xa_mk_internal(256)
#define XA_ZERO_ENTRY  xa_mk_internal(257)
static inline bool xa_is_zero(const void *entry)
{
	return entry == XA_ZERO_ENTRY;
}
static inline bool xa_is_node(const void *entry)
{
	return xa_is_internal(entry) && (unsigned long)entry > 4096;
}
static inline bool xa_is_err(const void *entry)
{
	return xa_is_internal(entry) && entry >= xa_mk_internal(-4095);
}
static inline int xa_err(void *entry)
{
	return xa_is_err(entry) ? (int)((long)entry >> 2) : 0;
}
static inline bool xa_is_advanced(const void *entry)
{
	return xa_is_internal(entry) && entry <= XA_RETRY_ENTRY;
}

/* ---- RCU --------------------------------------------------------------------------- */
struct rcu_head {
	struct rcu_head *next;
	void (*func)(struct rcu_head *head);
};

/*
 * The tree's node reads and publications (maple_glue.c): a yield point on the
 * node (or root) holding *slot, then the access.  A node read after its grace
 * period is a use-after-free finding.  @site is the kernel function's, for
 * messages; the yield point is at the caller's site.
 */
void *kmaple_read(void *const *slot, struct sched_site *site);
void kmaple_publish(void **slot, void *value, struct sched_site *site);
#define KMAPLE_SITE(lbl)                                                                           \
	({                                                                                         \
		SCHED_SITE_DEFINE(kmaple_site__, lbl);                                             \
		&kmaple_site__;                                                                    \
	})
#define rcu_dereference_check(p, c)                                                                \
	((__typeof__(p))kmaple_read((void *const *)&(p), KMAPLE_SITE("node_read")))
#define rcu_dereference_protected(p, c)                                                            \
	((__typeof__(p))kmaple_read((void *const *)&(p), KMAPLE_SITE("node_read_locked")))
#define rcu_dereference_raw(p) rcu_dereference_check(p, 1)
#define rcu_dereference(p)     rcu_dereference_check(p, 1)
#define rcu_assign_pointer(p, v)                                                                   \
	kmaple_publish((void **)&(p), (void *)(v), KMAPLE_SITE("node_publish"))
#define RCU_INIT_POINTER(p, v) ((p) = (v))

/*
 * A reader's dead-node test (ma_dead_node, renamed by the Makefile): reading a
 * node freed after its grace period is a use-after-free finding.
 */
struct maple_node;
void kmaple_node_check(const struct maple_node *node, struct sched_site *site);
#define ma_dead_node(node)                                                                         \
	(kmaple_node_check((node), KMAPLE_SITE("ma_dead_node")), ma_dead_node_unchecked(node))

void kmaple_call_rcu(struct rcu_head *head, void (*func)(struct rcu_head *head));
#undef call_rcu
#define call_rcu(head, fn) kmaple_call_rcu((head), (fn))

/*
 * ---- locks and RCU sections: the scheduler's, at the caller's site -----------------------
 * The caller of the bridge (core/mtree.c's caller) owns every yield point of the
 * call, as in the flat map: see maple_glue.h.
 */
struct sched_site *kmaple_site(void);
#undef spin_lock
#undef spin_unlock
#undef rcu_read_lock
#undef rcu_read_unlock
#define spin_lock(l)		      spin_lock_at((l), kmaple_site())
#define spin_unlock(l)		      spin_unlock_at((l), kmaple_site())
#define rcu_read_lock()		      rcu_read_lock_at(kmaple_site())
#define rcu_read_unlock()	      rcu_read_unlock_at(kmaple_site())
#define spin_lock_nested(l, subclass) spin_lock(l)
#undef spin_lock_init
#define lockdep_is_held(l) 1

/* ---- slab: the node arena ----------------------------------------------------------------- */
#define GFP_KERNEL   0x1u
#define GFP_NOWAIT   0x2u
#define __GFP_NOWARN 0x4u
#define __GFP_ZERO   0x8u
static inline bool gfpflags_allow_blocking(gfp_t gfp)
{
	return gfp & GFP_KERNEL;
}
struct kmem_cache;
#define SLAB_PANIC 0
struct kmem_cache *kmem_cache_create(const char *name, unsigned int size, unsigned int align,
				     unsigned int flags, void (*ctor)(void *));
void *kmem_cache_alloc(struct kmem_cache *cache, gfp_t gfp);
void kmem_cache_free(struct kmem_cache *cache, void *obj);
int kmem_cache_alloc_bulk(struct kmem_cache *cache, gfp_t gfp, size_t count, void **objs);
void kmem_cache_free_bulk(struct kmem_cache *cache, size_t count, void **objs);

/* ---- tracepoints ----------------------------------------------------------------------- */
#define trace_ma_op(...)    ((void)0)
#define trace_ma_read(...)  ((void)0)
#define trace_ma_write(...) ((void)0)

#endif
