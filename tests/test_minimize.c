/* SPDX-License-Identifier: MIT */
/*
 * Criterion tests of tools/minimize.c over every regression file:
 *   - the result replays (every preemption firing) to the same signature, and is no
 *     larger than the input in any count;
 *   - at most 3 preemptions (the goal of the minimizer);
 *   - the regression is stored minimized: minimizing it removes no preemption,
 *     operation, setup line or agent — unless its header says why not, on a line
 *     "# Not minimal: ...";
 *   - a fixpoint: minimizing the result changes nothing;
 *   - deterministic: two runs print byte-identical files;
 *   - padding (a fourth agent with useless operations, useless preemptions, an
 *     extra setup line) is removed again: the padded input shrinks to no more than
 *     the original's minimum.
 * Also: a scenario that replays clean is refused.
 */
#include <criterion/criterion.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "../core/oracle.h"
#include "minimize.h"

static void load(struct scenario *s, const char *path)
{
	char err[512];
	cr_assert(scn_load(s, path, err, sizeof(err)), "%s", err);
}

static void minimize_ok(const char *path, const struct scenario *s, struct minimize_result *r)
{
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s->knobs;
	char err[256];
	cr_assert(minimize(s, &o, r, err, sizeof(err)), "%s: %s", path, err);
}

/* Replay @s; assert every preemption fires and return the signature (0: clean). */
static uint64_t replay_signature(const char *path, const struct scenario *s)
{
	static struct sched_directed d;
	static struct exec_result r;
	char err[256];
	cr_assert(exec_directed(s, &d, err, sizeof(err)), "%s: %s", path, err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s->knobs;
	exec_run(s, &d.base, &o, &r);
	for (int i = 0; i < d.count; i++)
		cr_assert_eq(d.status[i], SCHED_PREEMPT_FIRED, "%s: preemption %d does not fire",
			     path, i + 1);
	return r.finding ? r.f.signature : 0;
}

static size_t print_to(const struct scenario *s, char *buf, size_t bytes)
{
	FILE *f = fmemopen(buf, bytes, "w");
	cr_assert(f);
	scn_print(s, f);
	long n = ftell(f);
	fclose(f);
	cr_assert(n > 0 && (size_t)n < bytes);
	return (size_t)n;
}

static void for_each_regression(void (*fn)(const char *path))
{
	glob_t g;
	cr_assert_eq(glob("regressions/*.sched", 0, NULL, &g), 0, "no regressions/*.sched");
	cr_assert_geq(g.gl_pathc, 2);
	for (size_t i = 0; i < g.gl_pathc; i++)
		fn(g.gl_pathv[i]);
	globfree(&g);
}

/* Does the header comment of @path say why the file is kept unminimized? */
static bool kept_unminimized(const char *path)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s: cannot open", path);
	char line[512];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f) && line[0] == '#')
		found = !strncmp(line, "# Not minimal: ", 15);
	fclose(f);
	return found;
}

static void check_minimized(const char *path)
{
	static struct scenario s;
	static struct minimize_result r;
	load(&s, path);
	uint64_t sig = replay_signature(path, &s);
	cr_assert(sig != 0, "%s: the regression replays clean", path);
	minimize_ok(path, &s, &r);
	cr_assert_eq(r.finding.signature, sig);
	cr_assert_eq(replay_signature(path, &r.out), sig, "%s: minimized, another outcome", path);
	cr_assert(r.all_fired);
	cr_assert_str_eq(mm_oracle_names[r.out.expect], r.finding.oracle);
	cr_assert_leq(r.after.preempts, r.before.preempts, "%s", path);
	cr_assert_leq(r.after.ops, r.before.ops, "%s", path);
	cr_assert_leq(r.after.setup, r.before.setup, "%s", path);
	cr_assert_leq(r.after.agents, r.before.agents, "%s", path);
	cr_assert_leq(r.after.preempts, 3, "%s: %d preemptions after minimizing", path,
		      r.after.preempts);
	if (!kept_unminimized(path))
		cr_assert(r.after.preempts == r.before.preempts && r.after.ops == r.before.ops &&
			      r.after.setup == r.before.setup && r.after.agents == r.before.agents,
			  "%s is not minimal: minimize takes preemptions %d -> %d, operations "
			  "%d -> %d, setup %d -> %d, agents %d -> %d (store the minimized form, "
			  "or say why not on a \"# Not minimal:\" line)",
			  path, r.before.preempts, r.after.preempts, r.before.ops, r.after.ops,
			  r.before.setup, r.after.setup, r.before.agents, r.after.agents);
	cr_log_info("%s: preemptions %d -> %d, operations %d -> %d, steps %u -> %u", path,
		    r.before.preempts, r.after.preempts, r.before.ops, r.after.ops, r.before.steps,
		    r.after.steps);
}

Test(minimize, keeps_the_signature_of_every_regression)
{
	for_each_regression(check_minimized);
}

static void check_fixpoint_and_determinism(const char *path)
{
	static struct scenario s, first;
	static struct minimize_result r, again;
	static char a[1 << 14], b[1 << 14], c[1 << 14];
	load(&s, path);
	minimize_ok(path, &s, &r);
	first = r.out;
	size_t na = print_to(&first, a, sizeof(a));
	minimize_ok(path, &s, &again);
	size_t nb = print_to(&again.out, b, sizeof(b));
	cr_assert(na == nb && !memcmp(a, b, na), "%s: two runs differ:\n%s\n---\n%s", path, a, b);
	minimize_ok(path, &first, &again);
	size_t nc = print_to(&again.out, c, sizeof(c));
	cr_assert(na == nc && !memcmp(a, c, na),
		  "%s: minimizing the result changed it:\n%s\n---\n%s", path, a, c);
}

Test(minimize, is_deterministic_and_a_fixpoint)
{
	for_each_regression(check_fixpoint_and_determinism);
}

/* Useless padding: CPU3 loads and stores in P1 far from everything, an extra setup
 * line maps its page, preemptions hand CPU3 the CPU when others finish. */
static void pad(struct scenario *s)
{
	cr_assert(s->setup_count + 1 <= SCN_SETUP_MAX && s->ops_count + 3 <= SCN_OPS_MAX &&
		  s->preempt_count + 2 <= SCN_PREEMPT_MAX);
	s->setup[s->setup_count++] = (struct scn_op){.kind = SCN_OP_MMAP,
						     .agent = 3,
						     .proc = 1,
						     .anon = true,
						     .write = true,
						     .addr = 0x30000,
						     .pages = 1};
	for (int i = 0; i < 3; i++)
		s->ops[s->ops_count++] =
		    (struct scn_op){.kind = i == 1 ? SCN_OP_LOAD : SCN_OP_STORE,
				    .agent = 3,
				    .proc = 1,
				    .addr = 0x30000 + 8u * (unsigned)i,
				    .value = i == 1 ? 0 : 7};
	struct scn_preempt p = {.anchored = true, .agent = 3, .target = 0, .occurrence = 1};
	snprintf(p.site, sizeof(p.site), "%s", SCHED_SITE_DONE);
	s->preempt[s->preempt_count++] = p;
	p.agent = 0;
	p.target = 3;
	snprintf(p.site, sizeof(p.site), "hw_access:store");
	p.occurrence = 50; /* never reached */
	s->preempt[s->preempt_count++] = p;
}

static int padded_tested;

static void check_padding_shrinks(const char *path)
{
	static struct scenario s, padded;
	static struct minimize_result r, rp;
	load(&s, path);
	if (scn_agent_used(&s, 3))
		return; /* CPU3 is taken: nothing to pad with */
	minimize_ok(path, &s, &r);
	padded = s;
	pad(&padded);
	static struct sched_directed d;
	static struct exec_result er;
	char err[256];
	cr_assert(exec_directed(&padded, &d, err, sizeof(err)), "%s: %s", path, err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = s.knobs;
	exec_run(&padded, &d.base, &o, &er);
	if (!er.finding || er.f.signature != r.finding.signature)
		return; /* the padding changed the outcome: not useless here */
	padded_tested++;
	minimize_ok(path, &padded, &rp);
	cr_assert_eq(rp.finding.signature, r.finding.signature);
	cr_assert_eq(rp.before.ops, r.before.ops + 3);
	cr_assert_leq(rp.after.ops, r.after.ops, "%s: padded: %d operations left, %d unpadded",
		      path, rp.after.ops, r.after.ops);
	cr_assert_leq(rp.after.preempts, r.after.preempts, "%s", path);
	cr_assert_leq(rp.after.setup, r.after.setup, "%s", path);
	cr_assert_leq(rp.after.agents, r.after.agents, "%s", path);
}

Test(minimize, padding_is_removed)
{
	padded_tested = 0;
	for_each_regression(check_padding_shrinks);
	cr_assert_geq(padded_tested, 3, "padding kept the finding of only %d regressions",
		      padded_tested);
}

Test(minimize, refuses_a_clean_scenario)
{
	static struct scenario s;
	load(&s, "regressions/zap-rmap-before-flush.sched");
	struct exec_options o;
	exec_options_default(&o); /* knobs off: the schedule replays clean */
	static struct minimize_result r;
	char err[256] = "";
	cr_assert_not(minimize(&s, &o, &r, err, sizeof(err)));
	cr_assert(strstr(err, "clean"), "%s", err);
}
