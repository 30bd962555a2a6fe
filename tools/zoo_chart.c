/* SPDX-License-Identifier: MIT */
/*
 * mmfuzz zoo-chart TSV -o SVG: seconds to the first finding per knob and
 * strategy, log scale, from the TSV `mmfuzz zoo --tsv` writes.  One row per knob;
 * in it one line of marks per strategy: the median (large; squares for the
 * engines, circles for in-process strategies) and each seed's try (small dots).
 * A median that found nothing sits hollow in the "not found" column.  The clean
 * rows of the TSV are not drawn (they are a count of zero).
 *
 * Leaves out: runs (the TSV has them), interactivity.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "zoo.h"

#define CHART_ROWS_MAX 64
#define LABEL_W	       250
#define PLOT_W	       560
#define MISS_W	       110 /* the "not found" column */
#define ROW_H	       30
#define TOP	       70

struct chart_row {
	char knob[ZOO_NAME_BYTES];
	int strategies_count;
	char strategy[ZOO_STRATEGIES_MAX][16];
	double median[ZOO_STRATEGIES_MAX]; /* INFINITY: not found */
	double seed[ZOO_STRATEGIES_MAX][ZOO_SEEDS_MAX];
	int seeds_count[ZOO_STRATEGIES_MAX];
};

static struct chart_row rows[CHART_ROWS_MAX];
static int rows_count;
static char names[ZOO_STRATEGIES_MAX][16]; /* every strategy, in first-seen order */
static int names_count;
static double budget = 1, lo = 1e-4;

static const char *const colors[ZOO_STRATEGIES_MAX] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000", "#999999",
    "#7f3c8d", "#11a579", "#3969ac", "#f2b701", "#e73f74", "#80ba5a", "#e68310", "#008695",
};

static _Noreturn void bad(const char *path, int line, const char *what)
{
	fprintf(stderr, "%s:%d: %s\n", path, line, what);
	exit(2);
}

static int name_index(const char *name)
{
	for (int i = 0; i < names_count; i++)
		if (!strcmp(names[i], name))
			return i;
	if (names_count == ZOO_STRATEGIES_MAX)
		return -1;
	snprintf(names[names_count], sizeof(names[0]), "%s", name);
	return names_count++;
}

/* Split @line at tabs into @f (at most @max fields); returns the count. */
static int split(char *line, char **f, int max)
{
	int n = 0;
	line[strcspn(line, "\r\n")] = 0;
	for (char *p = line; n < max; p++) {
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p = 0;
	}
	return n;
}

enum { C_PART, C_SUBJECT, C_STRATEGY, C_SECONDS, C_BUDGET, C_PER_SEED, C_COUNT };
static const char *const columns[C_COUNT] = {"part",	       "subject",	 "strategy",
					     "median_seconds", "budget_seconds", "per_seed"};

static void add_row(const char *path, int line, char **f, const int *col)
{
	if (strcmp(f[col[C_PART]], "knob"))
		return;
	struct chart_row *r = rows_count ? &rows[rows_count - 1] : NULL;
	if (!r || strcmp(r->knob, f[col[C_SUBJECT]])) {
		if (rows_count == CHART_ROWS_MAX)
			bad(path, line, "more than 64 knobs");
		r = &rows[rows_count++];
		snprintf(r->knob, sizeof(r->knob), "%s", f[col[C_SUBJECT]]);
	}
	if (r->strategies_count == ZOO_STRATEGIES_MAX || name_index(f[col[C_STRATEGY]]) < 0)
		bad(path, line, "more than 16 strategies");
	int s = r->strategies_count++;
	snprintf(r->strategy[s], sizeof(r->strategy[s]), "%s", f[col[C_STRATEGY]]);
	char *end;
	const char *m = f[col[C_SECONDS]];
	r->median[s] = strcmp(m, "-") ? strtod(m, &end) : INFINITY;
	if (!isinf(r->median[s]) && (*end || r->median[s] < 0))
		bad(path, line, "median_seconds is neither a number nor '-'");
	double b = strtod(f[col[C_BUDGET]], &end);
	if (*end || !(b > 0))
		bad(path, line, "budget_seconds is not a positive number");
	budget = b > budget ? b : budget;
	/* per_seed: "runs/seconds" for a finding, a status word otherwise */
	for (char *p = f[col[C_PER_SEED]]; *p && r->seeds_count[s] < ZOO_SEEDS_MAX;) {
		char *slash = strchr(p, '/'), *comma = strchr(p, ',');
		if (slash && (!comma || slash < comma))
			r->seed[s][r->seeds_count[s]++] = strtod(slash + 1, NULL);
		p = comma ? comma + 1 : p + strlen(p);
	}
	for (int i = 0; i < r->seeds_count[s]; i++)
		if (r->seed[s][i] > 0 && r->seed[s][i] < lo)
			lo = r->seed[s][i];
}

static void read_tsv(const char *path)
{
	FILE *in = fopen(path, "r");
	if (!in) {
		fprintf(stderr, "%s: cannot open\n", path);
		exit(2);
	}
	char line[4096], *f[32];
	int col[C_COUNT], n, lineno = 1;
	if (!fgets(line, sizeof(line), in))
		bad(path, 1, "empty: expected the header of `mmfuzz zoo --tsv`");
	n = split(line, f, 32);
	for (int c = 0; c < C_COUNT; c++) {
		col[c] = -1;
		for (int i = 0; i < n; i++)
			if (!strcmp(f[i], columns[c]))
				col[c] = i;
		if (col[c] < 0)
			bad(path, 1, "the header has no column named as `mmfuzz zoo --tsv` writes");
	}
	int need = 0;
	for (int c = 0; c < C_COUNT; c++)
		need = col[c] >= need ? col[c] + 1 : need;
	while (fgets(line, sizeof(line), in)) {
		lineno++;
		if (split(line, f, 32) < need)
			bad(path, lineno, "fewer columns than the header");
		add_row(path, lineno, f, col);
	}
	fclose(in);
	lo = pow(10, floor(log10(lo < 1e-6 ? 1e-6 : lo)));
	if (budget <= lo)
		budget = lo * 10;
}

static double x_of(double seconds)
{
	if (isinf(seconds) || seconds > budget)
		return LABEL_W + PLOT_W + MISS_W / 2.0;
	if (seconds < lo)
		seconds = lo;
	return LABEL_W + PLOT_W * (log10(seconds) - log10(lo)) / (log10(budget) - log10(lo));
}

static void mark(FILE *out, double x, double y, double r, const char *color, bool square,
		 bool hollow, double opacity)
{
	const char *fill = hollow ? "none" : color;
	if (square)
		fprintf(out,
			"<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\" "
			"stroke=\"%s\" fill-opacity=\"%.2f\"/>\n",
			x - r, y - r, 2 * r, 2 * r, fill, color, opacity);
	else
		fprintf(out,
			"<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" stroke=\"%s\" "
			"fill-opacity=\"%.2f\"/>\n",
			x, y, r, fill, color, opacity);
}

static bool is_engine(const char *name)
{
	struct zoo_strategy st;
	return zoo_strategy_parse(name, &st) && zoo_strategy_is_engine(&st);
}

static void axis(FILE *out, int height)
{
	for (double d = lo; d <= budget * 1.0001; d *= 10) {
		double x = x_of(d);
		char label[32];
		if (d < 1e-3)
			snprintf(label, sizeof(label), "%.3gus", d * 1e6);
		else if (d < 1)
			snprintf(label, sizeof(label), "%.3gms", d * 1e3);
		else
			snprintf(label, sizeof(label), "%.3gs", d);
		fprintf(out,
			"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#ddd\"/>\n"
			"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>\n",
			x, TOP - 8, x, height - 50, x, TOP - 12, label);
	}
	double xb = x_of(budget);
	fprintf(out,
		"<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#888\" "
		"stroke-dasharray=\"4 3\"/>\n"
		"<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">not found</text>\n",
		xb, TOP - 8, xb, height - 50, x_of(INFINITY), TOP - 12);
}

static void draw(FILE *out)
{
	int height = TOP + rows_count * ROW_H + 70, width = LABEL_W + PLOT_W + MISS_W + 20;
	fprintf(
	    out,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
	    "font-family=\"sans-serif\" font-size=\"12\">\n"
	    "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
	    "<text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">mmfuzz zoo: seconds "
	    "to the first finding, per knob and strategy (log scale, budget %g s a try)</text>\n"
	    "<text x=\"10\" y=\"40\">large mark: median of the seeds (hollow: not found); "
	    "dots: each seed's try; squares: fuzz engines</text>\n",
	    width, height, budget);
	axis(out, height);
	for (int i = 0; i < rows_count; i++) {
		const struct chart_row *r = &rows[i];
		int top = TOP + i * ROW_H;
		if (i % 2)
			fprintf(
			    out,
			    "<rect x=\"0\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#f4f4f4\" "
			    "fill-opacity=\"0.6\"/>\n",
			    top, width, ROW_H);
		fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>\n",
			LABEL_W - 10, top + ROW_H / 2 + 4, r->knob);
		for (int s = 0; s < r->strategies_count; s++) {
			int c = name_index(r->strategy[s]);
			double y = top + 4 + (ROW_H - 8) * (s + 0.5) / r->strategies_count;
			bool sq = is_engine(r->strategy[s]);
			for (int k = 0; k < r->seeds_count[s]; k++)
				mark(out, x_of(r->seed[s][k]), y, 1.6, colors[c], false, false,
				     0.5);
			mark(out, x_of(r->median[s]), y, 3.5, colors[c], sq, isinf(r->median[s]),
			     0.9);
		}
	}
	int y = TOP + rows_count * ROW_H + 30;
	for (int c = 0; c < names_count; c++) {
		int x = 20 + c * 110;
		mark(out, x, y - 4, 4, colors[c], is_engine(names[c]), false, 0.9);
		fprintf(out, "<text x=\"%d\" y=\"%d\">%s</text>\n", x + 10, y, names[c]);
	}
	fprintf(out, "</svg>\n");
}

int cmd_zoo_chart(int argc, char **argv)
{
	if (argc != 3 || strcmp(argv[1], "-o")) {
		fprintf(stderr, "usage: mmfuzz zoo-chart TSV -o SVG\n");
		return 2;
	}
	read_tsv(argv[0]);
	if (!rows_count) {
		fprintf(stderr, "%s: no knob rows to draw\n", argv[0]);
		return 2;
	}
	FILE *out = fopen(argv[2], "w");
	if (!out) {
		fprintf(stderr, "mmfuzz zoo-chart: cannot write %s\n", argv[2]);
		return 2;
	}
	draw(out);
	return fclose(out) ? 2 : 0;
}
