/* SPDX-License-Identifier: MIT */
/*
 * The clean-model campaign, short form: every scenario family in corpus/ is
 * explored with every knob off (random and PCT, fixed seeds, a fixed budget) and
 * must give no finding — the model of today's kernel has no false positives.
 * bench/clean.sh runs the long form.  As a control, the zap family must give the
 * lost write with each zap knob on, within the same budget.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <string.h>

#include "../core/knobs.h"
#include "exec.h"
#include "explore.h"

#define RUNS 20000

static void explore_file(const char *path, enum explore_strategy st, uint64_t knobs,
			 struct explore_result *er)
{
	static struct scenario s;
	char err[512];
	cr_assert(scn_load(&s, path, err, sizeof(err)), "%s", err);
	struct explore_config c;
	explore_config_default(&c);
	c.strategy = st;
	c.runs_max = RUNS;
	c.seed = 20261121;
	c.exec.knobs = knobs;
	explore(&s, &c, er);
}

Test(clean, every_family_is_clean_with_every_knob_off)
{
	glob_t g;
	cr_assert_eq(glob("corpus/*.sched", 0, NULL, &g), 0, "no scenario families in corpus/");
	cr_assert_geq(g.gl_pathc, 5);
	static struct explore_result er;
	for (size_t i = 0; i < g.gl_pathc; i++)
		for (int st = EXPLORE_RANDOM; st <= EXPLORE_PCT; st++) {
			explore_file(g.gl_pathv[i], (enum explore_strategy)st, 0, &er);
			cr_expect(!er.found, "%s, %s, knobs off: %s after %llu runs: %s",
				  g.gl_pathv[i], explore_strategy_name((enum explore_strategy)st),
				  er.first.f.oracle, (unsigned long long)er.runs, er.first.f.msg);
			cr_expect_eq(er.runs, RUNS);
		}
	globfree(&g);
}

Test(clean, control_the_zap_family_finds_each_zap_knob)
{
	static struct explore_result er;
	const enum mm_knob knobs[] = {KNOB_ZAP_RMAP_BEFORE_FLUSH, KNOB_ZAP_FLUSH_AFTER_UNLOCK};
	for (size_t k = 0; k < sizeof(knobs) / sizeof(knobs[0]); k++) {
		explore_file("corpus/zap-writeback.sched", EXPLORE_RANDOM, KNOB_BIT(knobs[k]), &er);
		cr_expect(er.found, "%s not found in %d runs", mm_knob_table[knobs[k]].name, RUNS);
		if (er.found)
			cr_expect_str_eq(er.first.f.oracle, "lost-write");
	}
}

/* Schedules the fuzzer found that gave a false finding with every knob off:
 * each must still apply, preemption by preemption, and now replay clean. */
Test(clean, fuzzer_found_false_positives_replay_clean)
{
	glob_t g;
	cr_assert_eq(glob("tests/clean/*.sched", 0, NULL, &g), 0, "no schedules in tests/clean/");
	static struct scenario s;
	static struct sched_directed d;
	static struct exec_result r;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		char err[512];
		cr_assert(scn_load(&s, g.gl_pathv[i], err, sizeof(err)), "%s", err);
		cr_assert(exec_directed(&s, &d, err, sizeof(err)), "%s: %s", g.gl_pathv[i], err);
		struct exec_options o;
		exec_options_default(&o);
		o.knobs = 0;
		exec_run(&s, &d.base, &o, &r);
		cr_expect(!r.finding, "%s: %s: %s", g.gl_pathv[i], r.f.oracle, r.f.msg);
		for (int p = 0; p < d.count; p++)
			cr_expect_eq(d.status[p], SCHED_PREEMPT_FIRED,
				     "%s: preemption %d did not apply", g.gl_pathv[i], p + 1);
	}
	globfree(&g);
}

/*
 * split_vma() cuts a VMA under the rmap locks (tests/data/split-vma-cut-under-rmap-lock.sched
 * tells the story): the schedule that let a migration's rmap walk restore a PTE
 * through the lower VMA in the middle of the cut gave a false postcondition;
 * now the walker waits at the cut, so that preemption cannot apply, and the run
 * is clean.  Every earlier preemption still applies.
 */
Test(clean, split_vma_cut_is_under_the_rmap_locks)
{
	static struct scenario s;
	static struct sched_directed d;
	static struct exec_result r;
	const char *path = "tests/data/split-vma-cut-under-rmap-lock.sched";
	char err[512];
	cr_assert(scn_load(&s, path, err, sizeof(err)), "%s", err);
	cr_assert(exec_directed(&s, &d, err, sizeof(err)), "%s: %s", path, err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = 0;
	exec_run(&s, &d.base, &o, &r);
	cr_expect(!r.finding, "%s: %s", r.f.oracle, r.f.msg);
	cr_assert_eq(d.count, 14);
	for (int p = 0; p < 12; p++)
		cr_expect_eq(d.status[p], SCHED_PREEMPT_FIRED, "preemption %d did not apply",
			     p + 1);
	cr_expect_neq(d.status[12], SCHED_PREEMPT_FIRED,
		      "CPU3 ran at split_vma:vm_end: the cut is not under the rmap locks");
}

/*
 * Nothing outlives an execution: every family of corpus/ and every schedule of
 * tests/clean/, under a few random schedules, gives the same fingerprint, steps
 * and verdict whatever ran before it in the process (the fuzzers run millions of
 * executions in one).  Found as a leak: an oracle write past its arrays corrupted
 * the pristine world mm_reset() copies, and later executions started from it.
 */
#define LEAK_SEEDS 4
#define LEAK_FILES 256

static void leak_run(const struct scenario *s, uint64_t seed, struct exec_result *r)
{
	static struct sched_random rnd;
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s->knobs;
	sched_random_init(&rnd, seed, 8);
	exec_run(s, &rnd.base, &o, r);
}

Test(clean, executions_leave_nothing_behind)
{
	static struct scenario s[LEAK_FILES];
	static struct exec_result r;
	static uint64_t fp[LEAK_FILES][LEAK_SEEDS];
	static uint32_t steps[LEAK_FILES][LEAK_SEEDS];
	static bool found[LEAK_FILES][LEAK_SEEDS];
	glob_t g;
	char err[512];
	cr_assert_eq(glob("corpus/*.sched", 0, NULL, &g), 0);
	cr_assert_eq(glob("tests/clean/*.sched", GLOB_APPEND, NULL, &g), 0);
	cr_assert(g.gl_pathc > 40 && g.gl_pathc <= LEAK_FILES, "%zu files", g.gl_pathc);
	int n = (int)g.gl_pathc;
	for (int i = 0; i < n; i++) {
		cr_assert(scn_load(&s[i], g.gl_pathv[i], err, sizeof(err)), "%s", err);
		exec_drop_inapplicable(&s[i]);
	}
	for (int i = 0; i < n; i++)
		for (int k = 0; k < LEAK_SEEDS; k++) {
			leak_run(&s[i], 1 + (uint64_t)k, &r);
			fp[i][k] = r.fingerprint;
			steps[i][k] = r.steps;
			found[i][k] = r.finding;
		}
	for (int i = n - 1; i >= 0; i--) /* in the other order: other predecessors */
		for (int k = LEAK_SEEDS - 1; k >= 0; k--) {
			leak_run(&s[i], 1 + (uint64_t)k, &r);
			cr_expect(r.fingerprint == fp[i][k] && r.steps == steps[i][k] &&
				      r.finding == found[i][k],
				  "%s, seed %d: fingerprint %016llx, %u steps after other runs, "
				  "%016llx, %u steps first",
				  g.gl_pathv[i], k + 1, (unsigned long long)r.fingerprint, r.steps,
				  (unsigned long long)fp[i][k], steps[i][k]);
		}
	globfree(&g);
}
