/* SPDX-License-Identifier: MIT */
/*
 * The kernel's own maple tree test suite, lib/test_maple_tree.c of Debian's
 * linux-source-6.12, run against mmfuzz's build of lib/maple_tree.c: the
 * Makefile extracts both into build/ksrc (never committed), and this file
 * includes the glue (core/kernel/maple_glue.c, which includes the tree) and then
 * the test module, in one translation unit, as the kernel's userland harness
 * tools/testing/radix-tree/maple.c does.  The binary (build/test_kmaple) is
 * GPL-2.0, like the tree and its test.
 *
 * The build of the glue here differs from libmmfuzz's only in two defines,
 * KMAPLE_ANY_ROOT (every tree of the suite allocates from one node pool, and a
 * root outside it is some tree's ma_root) and KMAPLE_NODES_MAX (the pool's size,
 * from the Makefile), and in the shims of kmaple_test.h, defined first
 * (CONFIG_DEBUG_MAPLE_TREE on, a real lock per tree, printing).  The suite runs
 * on the scheduler in a solo phase of CPU0, as tests/test_mtree.c's setup does:
 * every node read and publication is a yield point with the use-after-free check
 * of freed nodes, every lock the scheduler's with its ownership checks.
 *
 * It runs maple_tree_seed(), the module's init, whose calls of test functions
 * the Makefile turned into KMTEST_RUN(fn, args) (kmaple_test.h): each is named
 * and timed, or skipped when kmtest_skips[] says so.  The plain build skips
 * none: every test the module runs in the kernel runs here; the BENCH_*
 * benchmarks stay off, as they are by default.  It passes when every MT_BUG_ON
 * passed (a failing one dumps the tree and fails at once, through dump_stack),
 * no BUG_ON, WARN_ON or use-after-free fired, maple_tree_seed() returned 0, and
 * every node was freed at the end.
 */
#include "kmaple_test.h"

#include <time.h>

#include "../../core/kernel/maple_glue.c"

#include "test_maple_tree.c" /* build/ksrc/test_maple_tree.c, from linux-source-6.12 */

enum {
	KMTEST_OBJ_LOCK = SCHED_OBJ_MODEL, /* locks: SCHED_OBJ(KMTEST_OBJ_LOCK, n) */
	KMTEST_OBJ_NODE,		   /* node i of the pool */
	KMTEST_OBJ_ROOT,		   /* every tree's ma_root */
};

#if defined(__SANITIZE_ADDRESS__)
#define KMTEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KMTEST_ASAN 1
#endif
#endif

/*
 * The test functions maple_tree_seed() calls that do not run here, each with its
 * reason (printed, and counted as skipped, never as passed).  The plain build
 * (make test) runs all 29 calls; the ASan+UBSan build (make test-asan) skips one.
 */
static const struct {
	const char *name, *why;
} kmtest_skips[] = {
#ifdef KMTEST_ASAN
    /* measured: 130 s of the ASan build's 134 s here; 12 s of CPU in the plain build */
    {"check_dup", "too slow under ASan+UBSan (about 9 million stores into trees of up to "
		  "100,010 entries, each tree then copied: over two minutes); the plain build "
		  "(make test) runs it"},
#endif
    {NULL, NULL},
};

static struct kmaple_pool kmtest_pool;
static struct kmaple_tree_mem kmtest_tree; /* the pool's owner: what the glue calls current */
static uint32_t kmtest_locks;

_Noreturn void kmtest_fail(const char *what, const char *func, int line)
{
	fflush(stdout);
	fprintf(stderr, "test_kmaple: FAIL: %s in %s:%d (lib/test_maple_tree.c: %u of %u passed)\n",
		what, func, line, (unsigned)atomic_read(&maple_tree_tests_passed),
		(unsigned)atomic_read(&maple_tree_tests_run));
	exit(1);
}

uint32_t kmtest_lock_obj(void)
{
	return SCHED_OBJ(KMTEST_OBJ_LOCK, ++kmtest_locks);
}

/* A WARN_ON or a use-after-free of the glue is a finding: the test fails. */
static void kmtest_check_findings(const char *where)
{
	const struct sched_finding *f = sched_get_finding();

	if (f) {
		char what[SCHED_MSG_BYTES + 64];

		snprintf(what, sizeof(what), "%s finding: %s (seen at %s)", f->oracle, f->msg,
			 where);
		kmtest_fail(what, f->site ? f->site->func : "?", f->site ? f->site->line : 0);
	}
}

/* The nodes an RCU tree retired since the last call wait for one grace period. */
static void kmtest_quiesce(void)
{
	kmaple_leave(kmaple_current());
	kmtest_check_findings(__func__);
}

void kmtest_spin_unlock(spinlock_t *l, struct sched_site *site)
{
	spin_unlock_at(l, site);
	kmtest_quiesce();
}

void kmtest_rcu_read_unlock(struct sched_site *site)
{
	rcu_read_unlock_at(site);
	kmtest_quiesce();
}

void kmtest_rcu_barrier(void)
{
	kmtest_quiesce();
	(rcu_barrier)();
}

static unsigned kmtest_ran, kmtest_skipped;
static struct timespec kmtest_t0;

static double kmtest_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

bool kmtest_begin(const char *name)
{
	for (int i = 0; kmtest_skips[i].name; i++) {
		if (!strcmp(kmtest_skips[i].name, name)) {
			printf("  SKIP %s: %s\n", name, kmtest_skips[i].why);
			kmtest_skipped++;
			return false;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &kmtest_t0);
	return true;
}

void kmtest_end(const char *name)
{
	kmtest_quiesce();
	kmtest_ran++;
	printf("  ok   %s (%.2f s, %u checks so far)\n", name, kmtest_since(&kmtest_t0),
	       (unsigned)atomic_read(&maple_tree_tests_passed));
}

static void kmtest_run(int agent, void *arg)
{
	SCHED_SITE_DEFINE(site, "maple_tree_seed");

	(void)agent;
	kmtest_pool.obj_kind = KMTEST_OBJ_NODE;
	kmaple_init(&kmtest_tree, &kmtest_pool, SCHED_OBJ(KMTEST_OBJ_ROOT, 0), kmtest_lock_obj(),
		    "kmtest", 0);
	kmaple_enter(&kmtest_tree, &site);
	*(int *)arg = maple_tree_seed();
	kmtest_rcu_barrier();
}

int main(void)
{
	struct sched_config cfg = {.steps_max = 1}; /* no concurrent phase */
	struct timespec t0;
	int ret = -1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	sched_reset(&cfg);
	sched_agent_add(0, "CPU0", NULL, NULL);
	sched_run_solo(0, kmtest_run, &ret);
	kmtest_check_findings("maple_tree_seed");
	if (ret)
		kmtest_fail("maple_tree_seed() did not return 0", "main", __LINE__);
	if (kmtest_pool.live)
		kmtest_fail("maple nodes still allocated at the end (a leak)", "main", __LINE__);
	printf("test_kmaple: PASS: lib/test_maple_tree.c (linux-source-6.12): %u test calls run, "
	       "%u skipped; %u of %u checks passed; %u of %u maple nodes at most live; %.1f s\n",
	       kmtest_ran, kmtest_skipped, (unsigned)atomic_read(&maple_tree_tests_passed),
	       (unsigned)atomic_read(&maple_tree_tests_run), kmtest_pool.live_max,
	       (unsigned)KMAPLE_NODES_MAX, kmtest_since(&t0));
	return 0;
}
