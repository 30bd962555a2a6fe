/* SPDX-License-Identifier: MIT */
/*
 * The zoo's reports: the terminal table (knob x strategy: found in k of N seeds,
 * median runs, median time), the clean part, the goals of issue 7 as measured
 * (never asserted), and the TSV that bench/ keeps and zoo_chart.c draws.
 *
 * A median counts a try that found nothing as infinite ("-" when that is the
 * median); with an even number of tries it is the lower of the two middle ones.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zoo.h"

struct cell {
	int tries;
	int count[ZOO_STATUS_COUNT];
	double runs, seconds; /* medians, INFINITY when the median try found nothing */
	char oracles[64];     /* distinct oracles of the findings */
	char per_seed[512];   /* "runs/seconds" of a finding, else the status */
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	if (!n)
		return INFINITY;
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[(n - 1) / 2];
}

static void cell_of(const struct zoo_plan *p, enum zoo_part part, int subject, int st,
		    struct cell *c)
{
	double runs[ZOO_SEEDS_MAX], secs[ZOO_SEEDS_MAX];
	size_t used = 0;
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < p->tries_count; i++) {
		const struct zoo_try *t = &p->tries[i];
		if (t->part != part || t->subject != subject || t->strategy != st || !t->done ||
		    c->tries == ZOO_SEEDS_MAX)
			continue;
		bool found = t->r.status == ZOO_FOUND;
		runs[c->tries] = found ? (double)t->r.runs : INFINITY;
		secs[c->tries] = found ? t->r.seconds : INFINITY;
		c->tries++;
		c->count[t->r.status]++;
		if (found && !strstr(c->oracles, t->r.oracle))
			snprintf(c->oracles + strlen(c->oracles),
				 sizeof(c->oracles) - strlen(c->oracles), "%s%s",
				 c->oracles[0] ? "," : "", t->r.oracle);
		int n =
		    found ? snprintf(c->per_seed + used, sizeof(c->per_seed) - used, "%s%llu/%.4f",
				     used ? "," : "", (unsigned long long)t->r.runs, t->r.seconds)
			  : snprintf(c->per_seed + used, sizeof(c->per_seed) - used, "%s%s",
				     used ? "," : "", zoo_status_name(t->r.status));
		used = used + (size_t)n < sizeof(c->per_seed) ? used + (size_t)n : used;
	}
	c->runs = median(runs, c->tries);
	c->seconds = median(secs, c->tries);
}

/* Tries that went wrong (not a plain finding, miss or exhaustion): spurious, ... */
static int cell_bad(const struct cell *c)
{
	return c->count[ZOO_SPURIOUS] + c->count[ZOO_NOREPRO] + c->count[ZOO_ERROR];
}

static void fmt_count(char *buf, size_t n, double v)
{
	if (isinf(v))
		snprintf(buf, n, "-");
	else if (v < 1e3)
		snprintf(buf, n, "%.0f", v);
	else if (v < 1e6)
		snprintf(buf, n, "%.1fk", v / 1e3);
	else
		snprintf(buf, n, "%.1fM", v / 1e6);
}

static void fmt_seconds(char *buf, size_t n, double v)
{
	if (isinf(v))
		snprintf(buf, n, "-");
	else if (v < 1e-3)
		snprintf(buf, n, "%.0fus", v * 1e6);
	else if (v < 1)
		snprintf(buf, n, "%.0fms", v * 1e3);
	else
		snprintf(buf, n, "%.1fs", v);
}

/* "3/3 2.3k 350ms", "1/3 -", "no scenario"; '!' marks a try that went wrong. */
static void fmt_cell(char *buf, size_t n, const struct cell *c)
{
	char runs[16], secs[16];
	if (c->count[ZOO_NO_SCENARIO] == c->tries && c->tries) {
		snprintf(buf, n, "no scenario");
		return;
	}
	fmt_count(runs, sizeof(runs), c->runs);
	fmt_seconds(secs, sizeof(secs), c->seconds);
	if (isinf(c->runs))
		snprintf(buf, n, "%d/%d -%s", c->count[ZOO_FOUND], c->tries,
			 cell_bad(c) ? "!" : "");
	else
		snprintf(buf, n, "%d/%d %s %s%s", c->count[ZOO_FOUND], c->tries, runs, secs,
			 cell_bad(c) ? "!" : "");
}

/* The clean part's cell: what ran and what it found (any finding is a false positive). */
static void fmt_clean_cell(char *buf, size_t n, const struct zoo_plan *p, int family, int st)
{
	for (int i = 0; i < p->tries_count; i++) {
		const struct zoo_try *t = &p->tries[i];
		if (t->part != ZOO_PART_CLEAN || t->subject != family || t->strategy != st)
			continue;
		char runs[16];
		fmt_count(runs, sizeof(runs), (double)t->r.runs);
		if (!t->done)
			snprintf(buf, n, "not run");
		else if (t->r.status == ZOO_NONE || t->r.status == ZOO_EXHAUSTED)
			snprintf(buf, n, "%s %s", t->r.status == ZOO_NONE ? "clean" : "exhaust",
				 runs);
		else if (t->r.status == ZOO_FOUND)
			snprintf(buf, n, "FOUND %s!", t->r.oracle);
		else
			snprintf(buf, n, "%s!", zoo_status_name(t->r.status));
		return;
	}
	snprintf(buf, n, "?");
}

static int name_width(const struct zoo_plan *p)
{
	int w = 12;
	for (int k = 0; k < p->knobs_count; k++)
		if ((int)strlen(zoo_subject_name(p, ZOO_PART_KNOB, k)) > w)
			w = (int)strlen(zoo_subject_name(p, ZOO_PART_KNOB, k));
	for (int f = 0; f < p->clean_count; f++)
		if ((int)strlen(p->family[p->clean[f]].name) > w)
			w = (int)strlen(p->family[p->clean[f]].name);
	return w;
}

/* A strategy's column: as wide as its widest cell in either table, plus two. */
static int column_width(const struct zoo_plan *p, int st)
{
	char buf[64];
	int w = (int)strlen(p->strategies[st].name);
	for (int k = 0; k < p->knobs_count; k++) {
		struct cell c;
		cell_of(p, ZOO_PART_KNOB, k, st, &c);
		fmt_cell(buf, sizeof(buf), &c);
		w = (int)strlen(buf) > w ? (int)strlen(buf) : w;
	}
	for (int f = 0; f < p->clean_count; f++) {
		fmt_clean_cell(buf, sizeof(buf), p, p->clean[f], st);
		w = (int)strlen(buf) > w ? (int)strlen(buf) : w;
	}
	return w + 2;
}

static void header(const struct zoo_plan *p, const char *first, int w, const int *cw, FILE *out)
{
	fprintf(out, "%-*s", w + 2, first);
	for (int st = 0; st < p->strategies_count; st++)
		fprintf(out, "%-*s", cw[st], p->strategies[st].name);
	fputc('\n', out);
}

void zoo_report_table(const struct zoo_plan *p, FILE *out)
{
	int w = name_width(p), cw[ZOO_STRATEGIES_MAX];
	char buf[64];
	for (int st = 0; st < p->strategies_count; st++)
		cw[st] = column_width(p, st);
	if (p->knobs_count) {
		fprintf(out,
			"\nknob on: found in k of N seeds, median runs, median time (budget %g s a "
			"try)\n",
			p->seconds);
		header(p, "knob", w, cw, out);
	}
	for (int k = 0; k < p->knobs_count; k++) {
		fprintf(out, "%-*s", w + 2, zoo_subject_name(p, ZOO_PART_KNOB, k));
		for (int st = 0; st < p->strategies_count; st++) {
			struct cell c;
			cell_of(p, ZOO_PART_KNOB, k, st, &c);
			fmt_cell(buf, sizeof(buf), &c);
			fprintf(out, "%-*s", cw[st], buf);
		}
		fputc('\n', out);
	}
	if (p->clean_count) {
		fprintf(out, "\nevery knob off: runs without a finding (budget %g s a try)\n",
			p->seconds);
		header(p, "family", w, cw, out);
	}
	for (int f = 0; f < p->clean_count; f++) {
		fprintf(out, "%-*s", w + 2, p->family[p->clean[f]].name);
		for (int st = 0; st < p->strategies_count; st++) {
			fmt_clean_cell(buf, sizeof(buf), p, p->clean[f], st);
			fprintf(out, "%-*s", cw[st], buf);
		}
		fputc('\n', out);
	}
	bool any = false;
	for (int i = 0; i < p->tries_count; i++) {
		const struct zoo_try *t = &p->tries[i];
		if (!t->done || !t->r.note[0])
			continue;
		if (!any)
			fprintf(out, "\nnotes ('!' above):\n");
		any = true;
		fprintf(out, "  %s %s seed %llu: %s: %s\n",
			zoo_subject_name(p, t->part, t->subject), p->strategies[t->strategy].name,
			(unsigned long long)t->seed, zoo_status_name(t->r.status), t->r.note);
	}
}

/* Where a knob's try starts from (the TSV's start column). */
static const char *start_of(const struct zoo_plan *p, enum zoo_part part, int subject, int st)
{
	const struct zoo_scenario *z =
	    part == ZOO_PART_KNOB ? &p->regression[subject] : &p->family[subject];
	if (part == ZOO_PART_KNOB && zoo_strategy_is_engine(&p->strategies[st]) &&
	    (p->fuzz_from_corpus || !z->name[0]))
		return "corpus";
	return z->name[0] ? z->name : "-";
}

static void tsv_row(const struct zoo_plan *p, enum zoo_part part, int subject, int st, FILE *out)
{
	struct cell c;
	cell_of(p, part, subject, st, &c);
	char status[128] = "";
	bool no_scenario = c.tries && c.count[ZOO_NO_SCENARIO] == c.tries;
	if (no_scenario)
		snprintf(status, sizeof(status), "no-scenario");
	for (int s = ZOO_SPURIOUS; s < ZOO_STATUS_COUNT && !no_scenario; s++)
		if (c.count[s])
			snprintf(status + strlen(status), sizeof(status) - strlen(status),
				 "%s%s=%d", status[0] ? "," : "",
				 zoo_status_name((enum zoo_status)s), c.count[s]);
	fprintf(out, "%s\t%s\t%s\t%d\t%d\t", part == ZOO_PART_KNOB ? "knob" : "clean",
		zoo_subject_name(p, part, subject), p->strategies[st].name, c.tries,
		c.count[ZOO_FOUND]);
	if (isinf(c.runs))
		fprintf(out, "-\t-\t");
	else
		fprintf(out, "%.0f\t%.4f\t", c.runs, c.seconds);
	fprintf(out, "%g\t%s\t%s\t%s\t%s\n", p->seconds, start_of(p, part, subject, st),
		c.oracles[0] ? c.oracles : "-", status[0] ? status : "ok", c.per_seed);
}

void zoo_report_tsv(const struct zoo_plan *p, FILE *out)
{
	fprintf(out, "part\tsubject\tstrategy\tseeds\tfound\tmedian_runs\tmedian_seconds\t"
		     "budget_seconds\tstart\toracles\tstatus\tper_seed\n");
	for (int k = 0; k < p->knobs_count; k++)
		for (int st = 0; st < p->strategies_count; st++)
			tsv_row(p, ZOO_PART_KNOB, k, st, out);
	for (int f = 0; f < p->clean_count; f++)
		for (int st = 0; st < p->strategies_count; st++)
			tsv_row(p, ZOO_PART_CLEAN, p->clean[f], st, out);
}

static int strategy_index(const struct zoo_plan *p, const char *name)
{
	for (int st = 0; st < p->strategies_count; st++)
		if (!strcmp(p->strategies[st].name, name))
			return st;
	return -1;
}

/* Issue 7's goals for one engine, as measured. */
static void engine_goals(const struct zoo_plan *p, int st, FILE *out)
{
	int every_seed = 0, vs_pct = 0, pct3 = strategy_index(p, "pct3");
	char missing[512] = "";
	for (int k = 0; k < p->knobs_count; k++) {
		struct cell c, pc;
		cell_of(p, ZOO_PART_KNOB, k, st, &c);
		if (c.tries && c.count[ZOO_FOUND] == c.tries)
			every_seed++;
		else
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 " %s (%d/%d)", zoo_subject_name(p, ZOO_PART_KNOB, k),
				 c.count[ZOO_FOUND], c.tries);
		if (pct3 >= 0) {
			cell_of(p, ZOO_PART_KNOB, k, pct3, &pc);
			vs_pct += !isinf(c.runs) && c.runs <= pc.runs;
		}
	}
	fprintf(out, "  %-9s found in every seed within %g s: %d/%d knobs%s%s\n",
		p->strategies[st].name, p->seconds, every_seed, p->knobs_count,
		missing[0] ? "; not:" : "", missing);
	if (pct3 >= 0 && p->knobs_count)
		fprintf(out, "  %-9s median runs <= pct3's: %d/%d knobs (%.0f%%; goal 80%%)\n",
			p->strategies[st].name, vs_pct, p->knobs_count,
			100.0 * vs_pct / p->knobs_count);
}

bool zoo_report_summary(const struct zoo_plan *p, FILE *out)
{
	int found = 0, bad = 0, dirty = 0;
	char missing[512] = "";
	for (int k = 0; k < p->knobs_count; k++) {
		bool any = false;
		for (int st = 0; st < p->strategies_count; st++) {
			struct cell c;
			cell_of(p, ZOO_PART_KNOB, k, st, &c);
			any |= c.count[ZOO_FOUND] > 0;
			bad += cell_bad(&c);
		}
		found += any;
		if (!any)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing),
				 " %s", zoo_subject_name(p, ZOO_PART_KNOB, k));
	}
	for (int i = 0; i < p->tries_count; i++) {
		const struct zoo_try *t = &p->tries[i];
		if (t->part != ZOO_PART_CLEAN)
			continue;
		dirty += zoo_try_went_wrong(t);
	}
	fprintf(out, "\nsummary\n  knobs found by at least one strategy: %d/%d%s%s\n", found,
		p->knobs_count, missing[0] ? "; never:" : "", missing);
	for (int st = 0; st < p->strategies_count; st++)
		if (zoo_strategy_is_engine(&p->strategies[st]))
			engine_goals(p, st, out);
	fprintf(out, "  every knob off: %d families x %d strategies, %d tries not clean\n",
		p->clean_count, p->strategies_count, dirty);
	if (bad)
		fprintf(out, "  %d knob tries went wrong (spurious, norepro, error: see notes)\n",
			bad);
	bool pass = found == p->knobs_count && !dirty && !bad;
	fprintf(out, "verdict: %s\n", pass ? "PASS" : "FAIL");
	return pass;
}
