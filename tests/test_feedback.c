/* SPDX-License-Identifier: MIT */
/*
 * Interleaving feedback (scheduler/feedback.c) on two-agent programs: a read that
 * follows another agent's write is a reads-from feature, the same read before the
 * write is none; a lock handed from one agent to another is one; features are a
 * function of the trace (same execution, same features); a precursor counts in
 * its own execution only; each kind switches off;
 * the MMFUZZ_FEEDBACK list parser.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <string.h>

#include "feedback.h"
#include "policy.h"
#include "sched.h"
#include "sync.h"

#define OBJ SCHED_OBJ(SCHED_OBJ_MODEL, 1)

static void writer_reader(int agent, void *arg)
{
	(void)arg;
	if (agent == 0)
		SCHED_YIELD("w", OBJ, SCHED_OP_WRITE);
	else
		SCHED_YIELD("r", OBJ, SCHED_OP_READ);
}

static spinlock_t lock;

static void lockers(int agent, void *arg)
{
	(void)agent;
	(void)arg;
	spin_lock(&lock);
	spin_unlock(&lock);
}

static void precursor_agent(int agent, void *arg)
{
	(void)arg;
	SCHED_YIELD("before", OBJ, SCHED_OP_READ);
	if (agent == 1)
		sched_precursor(7);
}

#define FEATURES_MAX 64
static uint32_t features[FEATURES_MAX];
static int features_count;

static void collect(uint32_t f, void *arg)
{
	(void)arg;
	if (features_count < FEATURES_MAX)
		features[features_count++] = f;
}

/* Run @fn on two agents, first agent @first; return the features of @kinds. */
static int run(sched_fn fn, int first, uint32_t kinds)
{
	static struct sched_directed d;
	struct sched_config cfg = {.steps_max = 1000};
	sched_directed_init(&d);
	if (first) {
		struct sched_preempt p = {.step = 0, .target = first};
		sched_directed_add(&d, &p);
	}
	sched_reset(&cfg);
	spin_lock_init(&lock, SCHED_OBJ(SCHED_OBJ_LOCK, 1), "lock", 0);
	sched_agent_add(0, "CPU0", fn, NULL);
	sched_agent_add(1, "CPU1", fn, NULL);
	cr_assert(!sched_run(&d.base));
	features_count = 0;
	uint32_t n = sched_feedback(kinds, collect, NULL);
	cr_assert_eq(n, (uint32_t)features_count);
	return features_count;
}

Test(feedback, read_after_other_agents_write)
{
	cr_expect_eq(run(writer_reader, 0, SCHED_FB_RF), 1, "CPU1 reads what CPU0 wrote");
	cr_expect_eq(run(writer_reader, 1, SCHED_FB_RF), 0, "CPU1 reads before CPU0 writes");
}

Test(feedback, lock_handover_and_switches)
{
	cr_expect_geq(run(lockers, 0, SCHED_FB_RF), 1, "CPU1 acquires what CPU0 released");
	cr_expect_eq(run(lockers, 0, SCHED_FB_SWITCH), 1, "one switch, CPU0 to CPU1");
	cr_expect_eq(run(lockers, 0, 0), 0);
}

Test(feedback, same_execution_same_features)
{
	uint32_t first[FEATURES_MAX];
	int n = run(lockers, 1, SCHED_FB_ALL);
	cr_assert_gt(n, 0);
	memcpy(first, features, sizeof(first));
	cr_expect_eq(run(lockers, 1, SCHED_FB_ALL), n);
	cr_expect(!memcmp(first, features, (size_t)n * sizeof(first[0])));
	/* the lock code is symmetric: CPU0 first gives the same pairs */
	cr_expect_eq(run(lockers, 0, SCHED_FB_ALL), n);
	cr_expect(!memcmp(first, features, (size_t)n * sizeof(first[0])));
}

Test(feedback, precursors_per_execution)
{
	cr_expect_eq(run(precursor_agent, 0, SCHED_FB_PRECURSOR), 1);
	cr_expect_eq(run(precursor_agent, 0, SCHED_FB_SWITCH | SCHED_FB_RF) >= 0, 1);
	cr_expect_eq(run(writer_reader, 0, SCHED_FB_PRECURSOR), 0, "reset by the next execution");
}

Test(feedback, parse)
{
	uint32_t k;
	char err[128];
	cr_expect(sched_feedback_parse("all", &k, err, sizeof(err)) && k == SCHED_FB_ALL);
	cr_expect(sched_feedback_parse("none", &k, err, sizeof(err)) && k == 0);
	cr_expect(sched_feedback_parse("", &k, err, sizeof(err)) && k == 0);
	cr_expect(sched_feedback_parse("rf", &k, err, sizeof(err)) && k == SCHED_FB_RF);
	cr_expect(sched_feedback_parse("switch,rf", &k, err, sizeof(err)) &&
		  k == (SCHED_FB_SWITCH | SCHED_FB_RF));
	cr_expect(!sched_feedback_parse("switch,cov", &k, err, sizeof(err)));
	cr_expect_str_eq(err, "unknown feedback 'cov' (all, none, switch, rf, precursor)");
	cr_expect(sched_feedback_parse("precursor", &k, err, sizeof(err)) &&
		  k == SCHED_FB_PRECURSOR);
}
