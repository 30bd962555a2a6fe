/* SPDX-License-Identifier: MIT */
/*
 * The harness's schedule search (fuzz/schedule_search.c): schedule i of an input
 * is a function of the scenario, the input's seed and i, whatever ran before (so a
 * finding replays); aims come from reads-from pairs of the own run and switch to
 * another agent at one of its steps, one of them just after the writer's unlocks
 * when it goes on, and no two are the same; they come by tier (windows first) and
 * none goes to an agent that had finished; budgets follow novelty and a scenario never
 * seen gets the most; a family that brings nothing while another does is run now
 * and then, and nobody is cut while no family progresses; a hint is taken once,
 * also across processes (AFL++: through the shared file).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../fuzz/schedule_search.h"
#include "../scheduler/feedback.h"

/* A regression's scenario (default: the zap race's), its schedule stripped. */
static void load_file(struct scenario *s, const char *path)
{
	char err[256];
	cr_assert(scn_load(s, path, err, sizeof(err)), "%s", err);
	s->preempt_count = 0;
}

static void load(struct scenario *s)
{
	load_file(s, "regressions/zap-rmap-before-flush.sched");
}

/* The aims of @path's own run (no preemption), and that run's trace. */
static int own_run_aims(const char *path, struct search_aim *aims,
			const struct sched_trace_entry **t, uint32_t *n)
{
	static struct scenario s;
	static struct sched_directed d;
	static struct exec_result r;
	load_file(&s, path);
	struct exec_options o;
	exec_options_default(&o);
	cr_assert(exec_directed(&s, &d, NULL, 0));
	exec_run(&s, &d.base, &o, &r);
	*t = sched_trace(n);
	return search_aims(aims, 1);
}

/* The fingerprints of schedules 0..n-1 of @s with input seed @seed. */
static void search_fingerprints(const struct scenario *s, uint64_t seed, int n, uint64_t *fp)
{
	static struct sched_directed d;
	static struct exec_recorder own;
	static struct exec_result r;
	struct search_aim aims[SEARCH_AIMS_MAX];
	struct exec_options o;
	exec_options_default(&o);
	cr_assert(exec_directed(s, &d, NULL, 0));
	exec_recorder_init(&own, &d.base);
	exec_run(s, &own.base, &o, &r);
	uint32_t steps = r.steps;
	int aims_count = search_aims(aims, seed);
	for (int i = 0; i < n; i++) {
		struct sched_policy *p =
		    search_policy(s, own.preempt, own.count, steps, aims, aims_count, seed, i);
		exec_run(s, p, &o, &r);
		fp[i] = r.fingerprint;
	}
}

Test(schedule_search, schedule_i_is_a_function_of_the_input_alone)
{
	static struct scenario s;
	load(&s);
	uint64_t a[SEARCH_BUDGET_MAX], b[SEARCH_BUDGET_MAX], other[SEARCH_BUDGET_MAX];
	search_fingerprints(&s, 42, SEARCH_BUDGET_MAX, a);
	search_fingerprints(&s, 7, SEARCH_BUDGET_MAX, other); /* another input in between */
	search_fingerprints(&s, 42, SEARCH_BUDGET_MAX / 2, b);
	for (int i = 0; i < SEARCH_BUDGET_MAX / 2; i++)
		cr_assert_eq(a[i], b[i], "schedule %d differs on a second run", i);
	int distinct = 0;
	for (int i = 1; i < SEARCH_BUDGET_MAX; i++)
		distinct += a[i] != a[i - 1];
	cr_assert_gt(distinct, SEARCH_BUDGET_MAX / 2, "the search repeats itself");
}

Test(schedule_search, aims_switch_to_another_agent_at_a_step_of_the_run)
{
	struct search_aim aims[SEARCH_AIMS_MAX];
	const struct sched_trace_entry *t;
	uint32_t n;
	int count = own_run_aims("regressions/zap-rmap-before-flush.sched", aims, &t, &n);
	cr_assert_gt(count, 0, "no reads-from pair between the three agents");
	for (int i = 0; i < count; i++) {
		cr_assert_lt(aims[i].step, n);
		cr_assert_neq(t[aims[i].step].agent, aims[i].target, "aim %d switches to itself",
			      i);
	}
}

/*
 * The zap race's writer (the zap) drops the PTE lock and goes on to its flush: one
 * aim switches to a reader just after that unlock, inside the window.  No two aims
 * are the same.
 */
Test(schedule_search, an_aim_lands_just_after_a_writer_unlocks_and_goes_on)
{
	struct search_aim aims[SEARCH_AIMS_MAX];
	const struct sched_trace_entry *t;
	uint32_t n;
	int count = own_run_aims("regressions/zap-flush-after-unlock.sched", aims, &t, &n);
	int windows = 0;
	for (int i = 0; i < count; i++) {
		for (int j = 0; j < i; j++)
			cr_assert(aims[i].step != aims[j].step || aims[i].target != aims[j].target,
				  "aims %d and %d are the same", j, i);
		uint32_t at = aims[i].step;
		if (at == 0 || t[at - 1].op != SCHED_OP_RELEASE || t[at - 1].agent != t[at].agent ||
		    t[at].op == SCHED_OP_RELEASE)
			continue;
		const struct sched_site *unlock = sched_site_by_id(t[at - 1].site);
		windows += unlock && !strncmp(unlock->name, "zap_pte_range", 13);
	}
	cr_assert_gt(windows, 0, "no aim just after the zap's unlock");
}

/*
 * Aims come windows first, then after and before, then later (fuzz/schedule_search.c:
 * by their hit rates per run), and none switches to an agent that had finished by
 * its step: in the zap race's serial own run the zap (CPU0) is done before the
 * store and the writeback read what it wrote, so no aim of a reader goes back to it.
 */
Test(schedule_search, aims_come_by_tier_and_none_goes_to_a_finished_agent)
{
	struct search_aim aims[SEARCH_AIMS_MAX];
	const struct sched_trace_entry *t;
	uint32_t n;
	int count = own_run_aims("regressions/zap-flush-after-unlock.sched", aims, &t, &n);
	static const int tier[SEARCH_AIM_KINDS] = {[SEARCH_AIM_WINDOW] = 0,
						   [SEARCH_AIM_AFTER] = 1,
						   [SEARCH_AIM_BEFORE] = 1,
						   [SEARCH_AIM_LATER] = 2};
	int kinds[SEARCH_AIM_KINDS] = {0};
	cr_assert_lt(sched_agent_done_at(0), n, "CPU0 finishes before the run ends");
	for (int i = 0; i < count; i++) {
		cr_assert_lt(aims[i].kind, SEARCH_AIM_KINDS);
		kinds[aims[i].kind]++;
		if (i)
			cr_assert_geq(tier[aims[i].kind], tier[aims[i - 1].kind],
				      "aim %d (kind %d) after aim %d (kind %d)", i, aims[i].kind,
				      i - 1, aims[i - 1].kind);
		cr_assert_lt(aims[i].step, sched_agent_done_at(aims[i].target),
			     "aim %d switches to agent %d, done at step %u", i, aims[i].target,
			     sched_agent_done_at(aims[i].target));
	}
	cr_assert_gt(kinds[SEARCH_AIM_WINDOW], 0);
	cr_assert_gt(kinds[SEARCH_AIM_AFTER] + kinds[SEARCH_AIM_BEFORE], 0);
	cr_assert_eq(aims[0].kind, SEARCH_AIM_WINDOW, "a window comes first");
}

Test(schedule_search, budget_follows_novelty_and_a_new_scenario_gets_the_most)
{
	uint64_t sc = 0x1234, fam = 0x99;
	cr_assert_eq(search_budget(sc), SEARCH_BUDGET_MAX);
	search_record(sc, fam, true);
	cr_assert_eq(search_budget(sc), SEARCH_BUDGET_MAX);
	int last = SEARCH_BUDGET_MAX;
	for (int i = 0; i < 10; i++) {
		search_record(sc, fam, false);
		int b = search_budget(sc);
		cr_assert(b <= last && b >= SEARCH_BUDGET_MIN);
		last = b;
	}
	cr_assert_eq(last, SEARCH_BUDGET_MIN);
	search_record(sc, fam, true);
	cr_assert_eq(search_budget(sc), SEARCH_BUDGET_MAX);
	cr_assert_eq(search_budget(sc + 1), SEARCH_BUDGET_MAX);
}

static int admitted(uint64_t family)
{
	int n = 0;
	for (uint64_t h = 0; h < 64; h++)
		n += search_family_admits(family, h * 0x9e3779b97f4a7c15ull);
	return n;
}

Test(schedule_search, a_stale_family_runs_less_only_while_another_progresses)
{
	uint64_t stale = 0x5151, fresh = 0x7777;
	cr_assert_eq(admitted(0xabcdef), 64, "a family never seen runs everything");
	search_record(1, stale, true);
	/* nobody progresses: nobody is cut */
	for (int i = 0; i < 20000; i++)
		search_record(1, stale, false);
	cr_assert_eq(admitted(stale), 64);
	/* another family keeps bringing features: the stale one slows down */
	for (int i = 0; i < 20000; i++)
		search_record(2, fresh, i % 8 == 0);
	cr_assert_lt(admitted(stale), 16);
	cr_assert_eq(admitted(fresh), 64);
}

Test(schedule_search, a_hint_becomes_the_schedule_once)
{
	static struct scenario s;
	load(&s);
	struct scn_preempt p[2] = {{.step = 5, .target = 1}, {.step = 9, .target = 2}};
	uint64_t h = search_scenario_hash(&s);
	cr_assert(!search_hint_take(h, &s));
	search_hint_put(h, p, 2);
	cr_assert(!search_hint_take(h ^ 1, &s));
	cr_assert(search_hint_take(h, &s));
	cr_assert_eq(s.preempt_count, 2);
	cr_assert_eq(s.preempt[1].step, 9);
	cr_assert_eq(s.preempt[1].target, 2);
	cr_assert(!search_hint_take(h, &s), "taken twice");
	cr_assert_eq(search_scenario_hash(&s), h, "the schedule is not part of the scenario");
}

/*
 * AFL++: the search runs in the target, the mutator in afl-fuzz.  A hint the
 * child process puts into the shared file is the parent's to take, once; a file
 * that cannot be made is an error naming the path.
 */
Test(schedule_search, a_hint_crosses_processes_through_the_shared_file)
{
	static struct scenario s;
	load(&s);
	char path[] = "/tmp/mmfuzz-hints-XXXXXX", err[512];
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	uint64_t h = search_scenario_hash(&s);
	pid_t pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		struct scn_preempt p[1] = {{.step = 7, .target = 3}};
		if (!search_hints_share(path, err, sizeof(err)))
			_exit(1);
		search_hint_put(h, p, 1);
		_exit(0);
	}
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(search_hints_share(path, err, sizeof(err)), "%s", err);
	cr_assert(search_hint_take(h, &s), "the child's hint is not in the file");
	cr_assert_eq(s.preempt_count, 1);
	cr_assert_eq(s.preempt[0].step, 7);
	cr_assert_eq(s.preempt[0].target, 3);
	cr_assert(!search_hint_take(h, &s), "taken twice");
	unlink(path);
	cr_assert(!search_hints_share("/nonexistent-dir/hints", err, sizeof(err)));
	cr_assert(strstr(err, "/nonexistent-dir/hints") && strstr(err, strerror(ENOENT)), "%s",
		  err);
}
