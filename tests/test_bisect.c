/* SPDX-License-Identifier: MIT */
/*
 * Criterion tests of tools/bisect.c on two regressions (a lost write and a TLB
 * coherence race): the window is a real conflict of the failing run (same object,
 * two agents, a write, in this order, at the steps and sites it names), the
 * swapped schedule replays clean with the second event first, the bounds are
 * honoured, and a clean scenario is refused.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "bisect.h"
#include "trace_print.h"

static const char *const files[] = {"regressions/zap-rmap-before-flush.sched",
				    "regressions/no-flush-batched-pending.sched"};

static void load(struct scenario *s, const char *path)
{
	char err[512];
	cr_assert(scn_load(s, path, err, sizeof(err)), "%s", err);
}

static void bisect_ok(const char *path, const struct scenario *s, uint32_t good, uint32_t bad,
		      struct bisect_result *r)
{
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s->knobs;
	char err[256];
	cr_assert(race_bisect(s, &o, good, bad, r, err, sizeof(err)), "%s: %s", path, err);
}

/* Replay @s; returns whether it found something and leaves the trace in place. */
static bool replay(const struct scenario *s)
{
	static struct sched_directed d;
	static struct exec_result r;
	char err[256];
	cr_assert(exec_directed(s, &d, err, sizeof(err)), "%s", err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s->knobs;
	exec_run(s, &d.base, &o, &r);
	return r.finding;
}

static void check_event_in_trace(const char *path, const struct bisect_event *ev)
{
	uint32_t n;
	const struct sched_trace_entry *t = sched_trace(&n);
	cr_assert_lt(ev->step, n);
	cr_assert_eq(t[ev->step].agent, ev->agent, "%s: step %u", path, ev->step);
	cr_assert_eq(t[ev->step].obj, ev->obj);
	cr_assert_str_eq(trace_site_name(t[ev->step].site), ev->site);
	uint32_t occ = 0;
	for (uint32_t k = 0; k <= ev->step; k++)
		occ += t[k].agent == ev->agent && !strcmp(trace_site_name(t[k].site), ev->site);
	cr_assert_geq(occ, ev->occurrence, "%s: %s#%u", path, ev->site, ev->occurrence);
}

Test(bisect, finds_a_conflicting_pair_whose_swap_is_clean)
{
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		static struct scenario s;
		static struct bisect_result r;
		load(&s, files[f]);
		bisect_ok(files[f], &s, 0, 0, &r);
		cr_assert_eq(r.first.obj, r.second.obj, "%s: not the same object", files[f]);
		cr_assert_neq(r.first.agent, r.second.agent, "%s: one agent", files[f]);
		cr_assert(r.first.op != SCHED_OP_READ || r.second.op != SCHED_OP_READ,
			  "%s: two reads do not conflict", files[f]);
		cr_assert_lt(r.first.step, r.second.step);
		cr_assert(replay(&s), "%s: the input must fail", files[f]);
		check_event_in_trace(files[f], &r.first);
		check_event_in_trace(files[f], &r.second);
		cr_assert_not(replay(&r.swapped), "%s: the swapped schedule is not clean",
			      files[f]);
		cr_assert_leq(r.swapped.preempt_count, s.preempt_count + 2);
		cr_log_info("%s: %s#%u (step %u) / %s#%u (step %u), %llu tried", files[f],
			    r.first.site, r.first.occurrence, r.first.step, r.second.site,
			    r.second.occurrence, r.second.step, (unsigned long long)r.tried);
	}
}

Test(bisect, honours_good_and_bad)
{
	static struct scenario s;
	static struct bisect_result all, bounded;
	load(&s, files[0]);
	bisect_ok(files[0], &s, 0, 0, &all);
	/* after the window's first event: another pair, or none */
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s.knobs;
	char err[256];
	uint32_t good = all.first.step + 1;
	if (race_bisect(&s, &o, good, 0, &bounded, err, sizeof(err))) {
		cr_assert_geq(bounded.first.step, good);
		cr_assert_not(replay(&bounded.swapped));
	}
	/* before the window's second event: the same window cannot be reported */
	uint32_t bad = all.second.step;
	if (race_bisect(&s, &o, 0, bad, &bounded, err, sizeof(err)))
		cr_assert_lt(bounded.second.step, bad);
}

Test(bisect, refuses_a_clean_run)
{
	static struct scenario s;
	load(&s, files[0]);
	struct exec_options o;
	exec_options_default(&o); /* knobs off: clean */
	static struct bisect_result r;
	char err[256] = "";
	cr_assert_not(race_bisect(&s, &o, 0, 0, &r, err, sizeof(err)));
	cr_assert(strstr(err, "clean"), "%s", err);
}
