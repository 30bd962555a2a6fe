/* SPDX-License-Identifier: MIT */
/*
 * Every regression file replayed, both ways:
 *   knob on  (the file's knobs): the directed schedule gives exactly the expected
 *            finding (oracle, and site when the file names one), every preemption
 *            applies, and two replays have one fingerprint;
 *   knob off (every knob off): the same schedule replays clean (right after it
 *            replayed with the knob on, in the same process), and bounded DFS
 *            (preemption bound 2) over the same scenario is exhausted without a
 *            finding.
 * Naming rule: a regression of knob K is regressions/K*.sched and turns K on.
 *
 * Every regression tells its story (shared/STYLE.md), and the story is checked
 * against the replay, so it cannot drift from it.  The header comment has, in
 * this order:
 *   "KNOB — one sentence"    the title, naming a knob the file turns on;
 *   "Upstream: ..."          the paragraph names every commit id (12 hex digits)
 *                            that the knob's description in core/knobs.h names,
 *                            or says "no single commit";
 *   "Setup: ..."             the setup in prose;
 *   "  1. ", "  2. ", ...    the numbered interleaving, numbered from 1;
 *   "Verdict: ..."           exactly what replay --trace and show print after
 *                            "verdict: " (oracle at site: message), on one line;
 *   "Knob off: ..."          what the fixed kernel does instead;
 *   "Replay: N steps, ..."   N is the replay's step count, then its time.
 * Every site the story names (function:label) is one the replay visits, knob on
 * or knob off (replay --trace prints them).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <glob.h>
#include <stdio.h>
#include <string.h>

#include "../core/knobs.h"
#include "../core/oracle.h"
#include "exec.h"
#include "explore.h"
#include "trace_print.h"

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

ParameterizedTestParameters(regressions, story)
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
	/* knob on first, in this process: an execution must leave nothing behind that a
	 * later one with the knob off could see (mmfuzz demo and zoo run both ways) */
	o.knobs = s.knobs;
	static struct exec_result r;
	exec_run(&s, &d.base, &o, &r);
	o.knobs = 0;
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

/*
 * A regression in `memory arm64` (a barrier bug) is out of reach of `memory sc`:
 * the same scenario with its knobs on, every store visible at its step, explores
 * clean — DFS b=3, exhausted.  Its stripped scenario must also be found in arm64
 * by random search (the bug is the reordering, not the schedule file).
 */
Test(regressions, weak_memory_knobs_need_weak_memory)
{
	static struct regression_param p[256];
	size_t n = regression_paths(p, 256), weak = 0;
	for (size_t i = 0; i < n; i++) {
		static struct scenario s;
		load(&s, p[i].path);
		if (s.memory != SCN_MEMORY_ARM64)
			continue;
		weak++;
		s.preempt_count = 0;
		struct explore_config c;
		explore_config_default(&c);
		c.strategy = EXPLORE_RANDOM;
		c.runs_max = 100000;
		c.exec.knobs = s.knobs;
		static struct explore_result er;
		explore(&s, &c, &er);
		cr_assert(er.found, "%s: random finds nothing in memory arm64 (%llu runs)",
			  p[i].path, (unsigned long long)er.runs);
		s.memory = SCN_MEMORY_SC;
		c.strategy = EXPLORE_DFS;
		c.dfs_bound = 3;
		c.runs_max = 5000000;
		explore(&s, &c, &er);
		cr_assert(
		    !er.found, "%s: knobs on, memory sc, DFS b=3 finds %s after %llu runs: %s",
		    p[i].path, er.first.f.oracle, (unsigned long long)er.runs, er.first.f.msg);
		cr_assert(er.exhausted, "%s: memory sc: DFS b=3 not exhausted in %llu runs",
			  p[i].path, (unsigned long long)er.runs);
	}
	cr_assert_geq(weak, 1, "no regression in memory arm64");
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

/* ---- the story in the header comment ------------------------------------------- */

#define STORY_LINES_MAX	 256
#define STORY_LINE_BYTES 512

struct story {
	int count;
	char line[STORY_LINES_MAX][STORY_LINE_BYTES]; /* "# " stripped; "" for "#" */
};

/* The leading comment lines of @path, "# " stripped. */
static void story_read(const char *path, struct story *st)
{
	FILE *f = fopen(path, "r");
	cr_assert(f, "%s: cannot open", path);
	char buf[STORY_LINE_BYTES + 2];
	st->count = 0;
	while (fgets(buf, sizeof(buf), f) && buf[0] == '#') {
		size_t n = strlen(buf);
		cr_assert(n && buf[n - 1] == '\n', "%s: header line %d too long", path,
			  st->count + 1);
		buf[n - 1] = '\0';
		cr_assert_lt(st->count, STORY_LINES_MAX, "%s: header too long", path);
		const char *text = buf[1] == ' ' ? buf + 2 : buf + 1;
		snprintf(st->line[st->count++], STORY_LINE_BYTES, "%s", text);
	}
	fclose(f);
}

static bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* The one line starting with @label; its index. */
static int story_find(const char *path, const struct story *st, const char *label)
{
	int at = -1;
	for (int i = 0; i < st->count; i++) {
		if (!starts_with(st->line[i], label))
			continue;
		cr_assert_eq(at, -1, "%s: two \"%s\" lines", path, label);
		at = i;
	}
	cr_assert_neq(at, -1, "%s: no \"%s\" line in the header", path, label);
	return at;
}

/* "  12. ": the number of a numbered step, else 0. */
static int step_number(const char *line)
{
	const char *p = line;
	while (*p == ' ')
		p++;
	if (p == line || !isdigit((unsigned char)*p))
		return 0;
	int n = 0;
	while (isdigit((unsigned char)*p))
		n = n * 10 + (*p++ - '0');
	return p[0] == '.' && p[1] == ' ' ? n : 0;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* Does @site occur in @text as a whole site name (not as the prefix of a longer one)? */
static bool names_site(const char *text, const char *site)
{
	size_t n = strlen(site);
	for (const char *p = strstr(text, site); p; p = strstr(p + 1, site))
		if ((p == text || !is_ident(p[-1])) && !is_ident(p[n]))
			return true;
	return false;
}

/* Replay @s with @knobs and append the unfolded trace (sites, verdict) to @out. */
static void trace_into(const struct scenario *s, uint64_t knobs, struct exec_result *r, char *out,
		       size_t bytes)
{
	static struct sched_directed d;
	char err[256];
	cr_assert(exec_directed(s, &d, err, sizeof(err)), "%s", err);
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = knobs;
	exec_run(s, &d.base, &o, r);
	size_t used = strlen(out);
	FILE *f = fmemopen(out + used, bytes - used, "w");
	cr_assert(f);
	trace_print(s, r, false, f);
	cr_assert(!ferror(f));
	long n = ftell(f);
	fclose(f);
	cr_assert(n > 0 && used + (size_t)n + 1 < bytes, "trace does not fit");
}

ParameterizedTest(struct regression_param *param, regressions, story)
{
	const char *path = param->path;
	static struct scenario s;
	static struct story st;
	static struct exec_result on, off;
	static char traces[1 << 18];
	load(&s, path);
	story_read(path, &st);
	cr_assert_gt(st.count, 0, "%s: no header comment", path);

	/* the title names a knob the file turns on */
	int knob = -1;
	for (int k = 0; k < KNOB_COUNT; k++) {
		char title[128];
		snprintf(title, sizeof(title), "%s — ", mm_knob_table[k].name);
		if ((s.knobs >> k & 1u) && starts_with(st.line[0], title))
			knob = k;
	}
	cr_assert_neq(knob, -1, "%s: the first line is not \"KNOB — one sentence\": %s", path,
		      st.line[0]);

	/* the sections, in order */
	int upstream = story_find(path, &st, "Upstream: ");
	int setup = story_find(path, &st, "Setup: ");
	int verdict = story_find(path, &st, "Verdict: ");
	int knob_off = story_find(path, &st, "Knob off: ");
	int replay = story_find(path, &st, "Replay: ");
	cr_assert(0 < upstream && upstream < setup && setup < verdict && verdict < knob_off &&
		      knob_off < replay,
		  "%s: the header's order is title, Upstream, Setup, the numbered steps, "
		  "Verdict, Knob off, Replay",
		  path);
	int steps = 0;
	for (int i = 0; i < st.count; i++) {
		int n = step_number(st.line[i]);
		if (!n)
			continue;
		cr_assert(setup < i && i < verdict, "%s: step %d outside the interleaving", path,
			  n);
		cr_assert_eq(n, steps + 1, "%s: step %d follows step %d", path, n, steps);
		steps = n;
	}
	cr_assert_geq(steps, 1, "%s: no numbered interleaving (\"  1. CPUn ...\")", path);

	/* Upstream names the commits core/knobs.h names */
	static char para[STORY_LINES_MAX * STORY_LINE_BYTES];
	para[0] = '\0';
	for (int i = upstream; i < st.count && st.line[i][0]; i++) {
		strcat(para, st.line[i]);
		strcat(para, " ");
	}
	const char *desc = mm_knob_table[knob].description;
	int hashes = 0;
	for (const char *p = desc; *p; p++) {
		int n = 0;
		while (isxdigit((unsigned char)p[n]) && !isupper((unsigned char)p[n]))
			n++;
		if (n == 12 && (p == desc || !is_ident(p[-1])) && !is_ident(p[n])) {
			char hash[13];
			memcpy(hash, p, 12);
			hash[12] = '\0';
			cr_assert(strstr(para, hash),
				  "%s: Upstream does not name %s (core/knobs.h)", path, hash);
			hashes++;
		}
		p += n ? n - 1 : 0;
	}
	if (!hashes)
		cr_assert(strstr(para, "no single commit"),
			  "%s: core/knobs.h names no commit for %s; Upstream must say "
			  "\"no single commit\" and what it gives instead",
			  path, mm_knob_table[knob].name);

	/* the verdict and the step count are the replay's */
	traces[0] = '\0';
	trace_into(&s, s.knobs, &on, traces, sizeof(traces));
	cr_assert(on.finding, "%s: no finding", path);
	char expected[STORY_LINE_BYTES + 64];
	snprintf(expected, sizeof(expected), "Verdict: %s at %s: %s", on.f.oracle,
		 on.f.site ? on.f.site->name : "-", on.f.msg);
	cr_assert_str_eq(st.line[verdict], expected, "%s: the Verdict line is not the replay's",
			 path);
	char steps_text[64];
	snprintf(steps_text, sizeof(steps_text), "Replay: %u steps", on.steps);
	cr_assert(starts_with(st.line[replay], steps_text) &&
		      !isdigit((unsigned char)st.line[replay][strlen(steps_text)]),
		  "%s: \"%s\", but the replay takes %u steps", path, st.line[replay], on.steps);

	/* every site the story names is visited, knob on or off */
	trace_into(&s, 0, &off, traces, sizeof(traces));
	int sites = 0;
	for (int i = 0; i < st.count; i++) {
		const char *l = st.line[i];
		for (const char *p = l; *p; p++) {
			if (*p != ':' || p == l || !is_ident(p[-1]) ||
			    !(isalpha((unsigned char)p[1]) || p[1] == '_'))
				continue;
			const char *a = p, *b = p + 1;
			while (a > l && is_ident(a[-1]))
				a--;
			while (is_ident(*b))
				b++;
			if (!isalpha((unsigned char)*a) && *a != '_')
				continue;
			char site[128];
			snprintf(site, sizeof(site), "%.*s", (int)(b - a), a);
			cr_assert(names_site(traces, site),
				  "%s: the story names %s, which the replay never visits "
				  "(knob on or off)",
				  path, site);
			sites++;
		}
	}
	cr_assert_geq(sites, 1, "%s: the story names no site (function:label)", path);
}
