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

static void explore_file(const char *path, enum explore_strategy st, uint32_t knobs,
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
		explore_file("corpus/zap-writeback.sched", EXPLORE_RANDOM, 1u << knobs[k], &er);
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
