/* SPDX-License-Identifier: MIT */
/*
 * The kernel environment of lib/test_maple_tree.c (the kernel's own maple tree
 * test suite), on top of core/kernel/kshim.h: what the test module includes
 * (<linux/module.h>, <linux/rwsem.h>) and what CONFIG_DEBUG_MAPLE_TREE's half of
 * lib/maple_tree.c uses (printk, atomic_t, dump_stack), the way the kernel's
 * userland harness tools/testing/radix-tree builds the suite (written here for
 * mmfuzz's scheduler, nothing of it copied).  Included first by test_kmaple.c,
 * before core/kernel/maple_glue.c brings in the tree.
 *
 *   CONFIG_DEBUG_MAPLE_TREE  on, as in the userland harness: mt_validate() and
 *                            mt_dump() are the kernel's, and MT_BUG_ON is the
 *                            header's, which counts, dumps the tree and calls
 *                            dump_stack()
 *   dump_stack, BUG_ON       the test fails: message, then exit status 1
 *   WARN_ON                  kshim's: an `mm-bug` finding, which fails the test
 *                            at the next unlock or at the end
 *   pr_*                     printf to stdout (pr_debug: compiled, never printed)
 *   spin_lock_init           a real scheduler lock per tree, each its own object
 *   init_rwsem, down_write_nested   the scheduler's rw_semaphore
 *   spin_unlock, rcu_read_unlock    the scheduler's, then the nodes an RCU tree
 *                            retired wait for their grace period (the glue
 *                            batches them per bridge call, which this test
 *                            does not use: it calls the kernel API directly)
 *   rcu_barrier              the same, then every queued RCU callback runs
 *   kmem_cache_shrink        nothing (the node arena has no caches)
 *   cond_resched             nothing (solo: no other CPU to run)
 *   module_init/exit         references only: main() calls maple_tree_seed()
 */
#ifndef MMFUZZ_KMAPLE_TEST_H
#define MMFUZZ_KMAPLE_TEST_H

#include <stdio.h>
#include <stdlib.h>

#include "../../core/kernel/kshim.h"

#define CONFIG_DEBUG_MAPLE_TREE 1

/* ---- printing and failing ----------------------------------------------------------- */
#undef pr_err
#undef pr_info
#undef pr_cont
#define pr_err(...)   printf(__VA_ARGS__)
#define pr_info(...)  printf(__VA_ARGS__)
#define pr_cont(...)  printf(__VA_ARGS__)
#define pr_debug(...) ((void)(0 && printf(__VA_ARGS__)))

_Noreturn void kmtest_fail(const char *what, const char *func, int line);
#define dump_stack() kmtest_fail("a maple tree assertion failed (above)", __func__, __LINE__)
#undef BUG_ON
#define BUG_ON(cond)                                                                               \
	do {                                                                                       \
		if (unlikely(cond))                                                                \
			kmtest_fail("BUG_ON(" #cond ")", __func__, __LINE__);                      \
	} while (0)

/* ---- atomic_t: one simulated CPU runs the suite ---------------------------------------- */
typedef struct {
	int counter;
} atomic_t;
#define atomic_inc(v)  ((void)((v)->counter++))
#define atomic_read(v) ((v)->counter)

static inline void *xa_mk_value(unsigned long v)
{
	return (void *)((v << 1) | 1);
}

/* ---- locks -------------------------------------------------------------------------------- */
uint32_t kmtest_lock_obj(void);
#define spin_lock_init(l) (spin_lock_init)((l), kmtest_lock_obj(), "ma_lock", 0)
#define __SPIN_LOCK_UNLOCKED(x)                                                                    \
	{                                                                                          \
		.owner = SCHED_NO_AGENT, .obj = SCHED_OBJ(SCHED_OBJ_MODEL, 0), .name = #x          \
	}
#define init_rwsem(s)		  (init_rwsem)((s), kmtest_lock_obj(), #s, 0)
#define SINGLE_DEPTH_NESTING	  1
#define down_write_nested(s, sub) down_write(s)

void kmtest_spin_unlock(spinlock_t *l, struct sched_site *site);
void kmtest_rcu_read_unlock(struct sched_site *site);
void kmtest_rcu_barrier(void);
#undef spin_unlock
#undef rcu_read_unlock
#define spin_unlock(l)	     kmtest_spin_unlock((l), kmaple_site())
#define rcu_read_unlock()    kmtest_rcu_read_unlock(kmaple_site())
#define rcu_barrier()	     kmtest_rcu_barrier()
#define kmem_cache_shrink(c) ((void)(c))
#define cond_resched()	     ((void)0)

/*
 * ---- maple_tree_seed()'s test calls: the Makefile's one edit ---------------------------------
 * KMTEST_RUN(check_ranges, &tree): check_ranges(&tree) unless test_kmaple.c's
 * table skips it, timed and named in the output.
 */
bool kmtest_begin(const char *name);
void kmtest_end(const char *name);
#define KMTEST_RUN(fn, ...)                                                                        \
	do {                                                                                       \
		if (kmtest_begin(#fn)) {                                                           \
			fn(__VA_ARGS__);                                                           \
			kmtest_end(#fn);                                                           \
		}                                                                                  \
	} while (0)

/* ---- the module ----------------------------------------------------------------------------- */
#define __exit
#define module_init(fn)	      static int (*const kmtest_init_fn)(void) __maybe_unused = (fn)
#define module_exit(fn)	      static void (*const kmtest_exit_fn)(void) __maybe_unused = (fn)
#define MODULE_AUTHOR(x)      struct kmtest_module_author_unused
#define MODULE_DESCRIPTION(x) struct kmtest_module_description_unused
#define MODULE_LICENSE(x)     struct kmtest_module_license_unused

#endif
