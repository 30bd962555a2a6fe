/* SPDX-License-Identifier: MIT */
/*
 * Micro-benchmarks of the scheduler's hot paths, side by side in one run: a yield
 * point that does not switch (the cost every modelled access pays), a raw context
 * switch with the hand-written register switch and with glibc ucontext (and their
 * ratio), and a scheduler-level switch (yield slow path + policy decision +
 * context switch) under a policy that switches at every step, and under random
 * with a mean of one step.  Each figure is the best of several repetitions, to
 * filter out noise from the rest of the machine.
 *
 * The hand-written switch ends in one indirect jump shared by every context; whether
 * the branch predictor gets its target depends on the code layout of the binary, so
 * the same source measures ~2 ns in one build and ~8 ns (a mispredict) in another on
 * the same machine.  Compare builds, not runs.
 *
 * Clocks are fine here and only here: the model never reads one.  Prints a table and
 * the goals of the issue; never fails on a timing (a benchmark, not a test).
 *
 * Leaves out: whole-model throughput and time-to-bug (bench/strategies.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "ctx.h"
#include "policy.h"
#include "sched.h"

#define REPS		9
#define YIELD_STEPS	60000u	 /* one execution: below SCHED_TRACE_MAX */
#define SWITCH_STEPS	60000u	 /* both agents together */
#define CTX_ROUNDS	2000000u /* ping-pong round trips, hand-written switch */
#define UCTX_ROUNDS	100000u	 /* ping-pong round trips, ucontext (~100x slower) */
#define CTX_STACK_BYTES (64u * 1024u)

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static double min_d(double a, double b)
{
	return a < b ? a : b;
}

/* ---- (a) a yield point that does not switch ----------------------------------------- */

static double bench_t0, bench_t1;

static void yield_agent(int me, void *arg)
{
	(void)me;
	(void)arg;
	bench_t0 = now_ns();
	for (uint32_t i = 0; i < YIELD_STEPS; i++)
		SCHED_YIELD("bench", SCHED_OBJ(SCHED_OBJ_MODEL, i & 7u), SCHED_OP_READ);
	bench_t1 = now_ns();
}

/* One agent, directed policy with no preemption: decide_at is the step budget. */
static double bench_yield(void)
{
	struct sched_config cfg = {.steps_max = SCHED_TRACE_MAX};
	struct sched_directed d;

	sched_directed_init(&d);
	sched_reset(&cfg);
	sched_agent_add(0, "CPU0", yield_agent, NULL);
	if (sched_run(&d.base) || sched_steps() != YIELD_STEPS) {
		fprintf(stderr, "bench_sched: yield run went wrong (%u steps)\n", sched_steps());
		exit(1);
	}
	return (bench_t1 - bench_t0) / YIELD_STEPS;
}

/* ---- (b) raw context switch: ping-pong main <-> coroutine --------------------------- */

static struct sched_ctx ctx_main, ctx_co;
static struct sched_uctx uctx_main, uctx_co;
static uint8_t co_stack[CTX_STACK_BYTES] __attribute__((aligned(64)));
static uint8_t uco_stack[CTX_STACK_BYTES] __attribute__((aligned(64)));

static void ctx_pong(void)
{
	for (;;)
		sched_ctx_switch(&ctx_co, &ctx_main);
}

static void uctx_pong(void)
{
	for (;;)
		sched_uctx_switch(&uctx_co, &uctx_main);
}

/* ns per switch (a round trip is two). */
static double bench_ctx(void)
{
	double t0, t1;

	sched_ctx_init(&ctx_co, co_stack, sizeof(co_stack), ctx_pong);
	sched_ctx_switch(&ctx_main, &ctx_co); /* warm up: start the coroutine */
	t0 = now_ns();
	for (uint32_t i = 0; i < CTX_ROUNDS; i++)
		sched_ctx_switch(&ctx_main, &ctx_co);
	t1 = now_ns();
	return (t1 - t0) / (2.0 * CTX_ROUNDS);
}

static double bench_uctx(void)
{
	double t0, t1;

	sched_uctx_init(&uctx_co, uco_stack, sizeof(uco_stack), uctx_pong);
	sched_uctx_switch(&uctx_main, &uctx_co);
	t0 = now_ns();
	for (uint32_t i = 0; i < UCTX_ROUNDS; i++)
		sched_uctx_switch(&uctx_main, &uctx_co);
	t1 = now_ns();
	return (t1 - t0) / (2.0 * UCTX_ROUNDS);
}

/* ---- (c) scheduler-level switch ----------------------------------------------------- */

/* A policy that hands the next step to the other agent, at every step. */
static void alternate_begin(struct sched_policy *p)
{
	(void)p;
}

static int alternate_decide(struct sched_policy *p, const struct sched_choice *c, uint32_t *next_at)
{
	uint32_t others = c->runnable_mask;

	(void)p;
	*next_at = c->step + 1;
	if (c->current >= 0)
		others &= ~(1u << c->current);
	return others ? sched_lowest(others) : sched_lowest(c->runnable_mask);
}

static bool alternate_end(struct sched_policy *p)
{
	(void)p;
	return true;
}

static const struct sched_policy_ops alternate_ops = {"alternate", alternate_begin,
						      alternate_decide, alternate_end};

static int switch_agents_left;

static void switch_agent(int me, void *arg)
{
	(void)arg;
	if (me == 0)
		bench_t0 = now_ns();
	for (uint32_t i = 0; i < SWITCH_STEPS / 2; i++)
		SCHED_YIELD("bench", SCHED_OBJ(SCHED_OBJ_MODEL, me), SCHED_OP_WRITE);
	if (--switch_agents_left == 0)
		bench_t1 = now_ns();
}

struct switch_result {
	double ns_per_step;
	double switched; /* fraction of steps preceded by a switch */
};

static struct switch_result bench_switch(struct sched_policy *p)
{
	struct sched_config cfg = {.steps_max = SCHED_TRACE_MAX};
	const struct sched_trace_entry *t;
	uint32_t n, switches = 0;

	sched_reset(&cfg);
	switch_agents_left = 2;
	sched_agent_add(0, "CPU0", switch_agent, NULL);
	sched_agent_add(1, "CPU1", switch_agent, NULL);
	if (sched_run(p) || sched_steps() != SWITCH_STEPS) {
		fprintf(stderr, "bench_sched: switch run went wrong (%u steps)\n", sched_steps());
		exit(1);
	}
	p->ops->end(p);
	t = sched_trace(&n);
	for (uint32_t i = 0; i < n; i++)
		switches += (t[i].flags & SCHED_TRACE_SWITCH) != 0;
	return (struct switch_result){(bench_t1 - bench_t0) / SWITCH_STEPS,
				      (double)switches / SWITCH_STEPS};
}

/* ---- report ------------------------------------------------------------------------- */

int main(void)
{
	struct sched_policy alternate = {.ops = &alternate_ops};
	struct sched_random random;
	double yield = 1e18, ctx = 1e18, uctx = 1e18, alt = 1e18, rnd = 1e18;
	double alt_switched = 0, rnd_switched = 0;

	sched_random_init(&random, 1, 1);
	for (int rep = 0; rep < REPS; rep++) {
		struct switch_result r;

		yield = min_d(yield, bench_yield());
		ctx = min_d(ctx, bench_ctx());
		uctx = min_d(uctx, bench_uctx());
		r = bench_switch(&alternate);
		alt = min_d(alt, r.ns_per_step);
		alt_switched = r.switched;
		r = bench_switch(&random.base);
		rnd = min_d(rnd, r.ns_per_step);
		rnd_switched = r.switched;
	}

	printf("mmfuzz scheduler micro-benchmarks (best of %d)\n\n", REPS);
	printf("%-50s %10s\n", "", "ns");
	printf("%-50s %10.2f\n", "yield point, no switch", yield);
	printf("%-50s %10.2f\n", "context switch, hand-written (sched_ctx_switch)", ctx);
	printf("%-50s %10.2f\n", "context switch, ucontext (sched_uctx_switch)", uctx);
	printf("%-50s %9.1fx\n", "  ucontext / hand-written", uctx / ctx);
	printf("%-50s %10.2f\n", "scheduler step, alternating policy (per switch)", alt);
	printf("%-50s %10.2f\n", "scheduler step, random mean 1 (per step)", rnd);
	printf("%-50s %9.0f%%\n", "  steps that switch: alternating", 100.0 * alt_switched);
	printf("%-50s %9.0f%%\n", "  steps that switch: random mean 1", 100.0 * rnd_switched);
	printf("\ngoals: yield <= 3 ns (%s), switch <= 10 ns (%s), >= 20x ucontext (%s)\n",
	       yield <= 3.0 ? "met" : "missed", ctx <= 10.0 ? "met" : "missed",
	       uctx / ctx >= 20.0 ? "met" : "missed");
	return 0;
}
