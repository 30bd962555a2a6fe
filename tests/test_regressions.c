/* SPDX-License-Identifier: MIT */
/*
 * Every regression file replayed, both ways:
 *   knob on  (the file's knobs): the directed schedule gives exactly the expected
 *            finding (oracle, and site when the file names one), every preemption
 *            applies, and two replays have one fingerprint;
 *   knob off (every knob off): the same schedule replays clean, and bounded DFS
 *            (preemption bound 2) over the same scenario is exhausted without a
 *            finding.
 * Naming rule: a regression of knob K is regressions/K*.sched and turns K on.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "../core/knobs.h"
#include "../core/oracle.h"
#include "exec.h"
#include "explore.h"

#define REGRESSION_GLOB "regressions/*.sched"

struct regression_param {
	char path[256];
};

static size_t regression_paths(struct regression_param *out, size_t max)
{
	glob_t g;
	size_t n = 0;
	if (glob(REGRESSION_GLOB, 0, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc && n < max; i++, n++)
			snprintf(out[n].path, sizeof(out[n].path), "%s", g.gl_pathv[i]);
		globfree(&g);
	}
	return n;
}

static struct regression_param *params_alloc(size_t *count)
{
	static struct regression_param tmp[256];
	size_t n = regression_paths(tmp, 256);
	struct regression_param *p = cr_malloc(sizeof(*p) * (n ? n : 1));
	memcpy(p, tmp, sizeof(*p) * n);
	if (!n) /* one bogus entry, so that the parameterized tests fail loudly */
		snprintf(p[0].path, sizeof(p[0].path), "regressions/(none found)");
	*count = n ? n : 1;
	return p;
}

static void params_free(struct criterion_test_params *crp)
{
	cr_free(crp->params);
}

ParameterizedTestParameters(regressions, knob_on)
{
	size_t n;
	struct regression_param *p = params_alloc(&n);
	return cr_make_param_array(struct regression_param, p, n, params_free);
}

ParameterizedTestParameters(regressions, knob_off)
{
	size_t n;
	struct regression_param *p = params_alloc(&n);
	return cr_make_param_array(struct regression_param, p, n, params_free);
}

static void load(struct scenario *s, const char *path)
{
	char err[512];
	cr_assert(scn_load(s, path, err, sizeof(err)), "%s", err);
}

ParameterizedTest(struct regression_param *param, regressions, knob_on)
{
	static struct scenario s;
	load(&s, param->path);
	cr_assert(s.knobs != 0, "%s: a regression must turn a knob on", param->path);
	cr_assert(s.expect >= 0, "%s: a regression must expect a finding", param->path);
	static struct sched_directed d;
	char err[256];
	cr_assert(exec_directed(&s, &d, err, sizeof(err)), "%s: %s", param->path, err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s.knobs;
	static struct exec_result r, again;
	exec_run(&s, &d.base, &o, &r);
	cr_assert(r.finding, "%s: no finding with its knobs on", param->path);
	cr_assert_str_eq(r.f.oracle, mm_oracle_names[s.expect], "%s: %s", param->path, r.f.msg);
	if (s.expect_site[0])
		cr_assert_str_eq(r.f.site ? r.f.site->name : "", s.expect_site, "%s", param->path);
	for (int i = 0; i < d.count; i++)
		cr_assert_eq(d.status[i], SCHED_PREEMPT_FIRED, "%s: preemption %d did not apply",
			     param->path, i + 1);
	exec_run(&s, &d.base, &o, &again);
	cr_assert(again.finding);
	cr_assert_eq(again.fingerprint, r.fingerprint, "%s: replay is not deterministic",
		     param->path);
	cr_assert_eq(again.f.signature, r.f.signature);
}

ParameterizedTest(struct regression_param *param, regressions, knob_off)
{
	static struct scenario s;
	load(&s, param->path);
	static struct sched_directed d;
	char err[256];
	cr_assert(exec_directed(&s, &d, err, sizeof(err)), "%s: %s", param->path, err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = 0;
	static struct exec_result r;
	exec_run(&s, &d.base, &o, &r);
	cr_assert(!r.finding, "%s: knobs off, the schedule gives %s: %s", param->path, r.f.oracle,
		  r.f.msg);

	struct explore_config c;
	explore_config_default(&c);
	c.strategy = EXPLORE_DFS;
	c.dfs_bound = 2;
	c.runs_max = 5000000;
	c.exec.knobs = 0;
	static struct explore_result er;
	explore(&s, &c, &er);
	cr_assert(!er.found, "%s: knobs off, DFS b=2 finds %s after %llu runs: %s", param->path,
		  er.first.f.oracle, (unsigned long long)er.runs, er.first.f.msg);
	cr_assert(er.exhausted, "%s: DFS b=2 not exhausted in %llu runs", param->path,
		  (unsigned long long)er.runs);
	cr_log_info("%s: knobs off, DFS b=2 exhausted after %llu schedules", param->path,
		    (unsigned long long)er.runs);
}

Test(regressions, every_knob_has_a_regression_named_after_it)
{
	static struct regression_param paths[256];
	size_t n = regression_paths(paths, 256);
	cr_assert(n >= 2, "expected regression files in %s", REGRESSION_GLOB);
	for (int k = 0; k < KNOB_COUNT; k++) {
		const char *name = mm_knob_table[k].name;
		bool found = false;
		for (size_t i = 0; i < n && !found; i++) {
			const char *base = strrchr(paths[i].path, '/') + 1;
			if (strncmp(base, name, strlen(name)))
				continue;
			static struct scenario s;
			load(&s, paths[i].path);
			cr_assert(s.knobs >> k & 1u, "%s is named after %s but does not turn it on",
				  paths[i].path, name);
			found = true;
		}
		cr_assert(found, "knob %s has no regression regressions/%s*.sched", name, name);
	}
}
