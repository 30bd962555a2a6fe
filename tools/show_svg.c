/* SPDX-License-Identifier: MIT */
/*
 * Swimlanes (see show.h): one lane per agent, time flowing down one row per shown
 * step; lock holds as bars at the left of a lane, IPI edges (send -> ack) and
 * reads-from edges (the last write to an object -> a read of it by another agent)
 * as arrows, the violating access ringed in red, the state cells in a column of
 * their own right of the lanes (tooltips say each cell in words), a legend.
 * Plain SVG 1.1, no script, no external resource: the HTML page embeds it as is.
 */
#include "show.h"

#include <stdlib.h>
#include <string.h>

#include "trace_print.h"

#define MARGIN_X       64
#define LANE_W	       330
#define HEAD_H	       84
#define ROW_H	       18
#define LEGEND_H       150
#define CELLS_LEGEND_H 68 /* the state cells' lines of the legend */
#define CELL_H	       14
#define CELL_GAP       2
#define GROUP_GAP      8
#define EDGES_MAX      64 /* arrows of each kind; more would hide the lanes */
#define HOLDS_MAX      256
#define DOT_DX	       16

static void xml_text(const char *s, FILE *out)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", out);
			break;
		case '>':
			fputs("&gt;", out);
			break;
		case '&':
			fputs("&amp;", out);
			break;
		case '"':
			fputs("&quot;", out);
			break;
		default:
			fputc(*s, out);
		}
	}
}

static int lane_x(const struct show *sh, int agent)
{
	int lane = sh->agent_lane[agent] < 0 ? 0 : sh->agent_lane[agent];
	return MARGIN_X + lane * LANE_W;
}

static int row_y(uint32_t row)
{
	return HEAD_H + (int)row * ROW_H + ROW_H / 2;
}

static const char *step_color(uint8_t m)
{
	if (m & (SHOW_VIOLATION | SHOW_OTHER))
		return "#c00000";
	if (m & SHOW_RACE)
		return "#d06000";
	if (m & SHOW_SYNC)
		return "#1f4fbf";
	if (m & SHOW_IRQ)
		return "#7a2ea0";
	return "#333333";
}

static void svg_head(const struct show *sh, const char *title, int width, FILE *out)
{
	int height =
	    HEAD_H + sh->rows_count * ROW_H + LEGEND_H + (sh->cells.captured ? CELLS_LEGEND_H : 0);
	fprintf(out,
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		"viewBox=\"0 0 %d %d\" font-family=\"monospace\" font-size=\"11\">\n",
		width, height, width, height);
	fprintf(out, "<title>");
	xml_text(title, out);
	fprintf(out, "</title>\n<defs>\n");
	static const char *const arrows[][2] = {
	    {"ipi", "#7a2ea0"}, {"rf", "#178a3a"}, {"verdict", "#c00000"}};
	for (int i = 0; i < 2; i++)
		fprintf(out,
			"<marker id=\"arrow-%s\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
			"markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 "
			"L0,10 z\" fill=\"%s\"/></marker>\n",
			arrows[i][0], arrows[i][1]);
	fprintf(out, "</defs>\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n");
	fprintf(out, "<text x=\"8\" y=\"20\" font-size=\"14\" font-weight=\"bold\">");
	xml_text(title, out);
	fprintf(out, "</text>\n");
	for (int l = 0; l < sh->lanes; l++) {
		int x = MARGIN_X + l * LANE_W;
		fprintf(out,
			"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n"
			"<text x=\"%d\" y=\"%d\" font-size=\"13\" font-weight=\"bold\">%s</text>\n",
			x, HEAD_H - 10, LANE_W - 6, sh->rows_count * ROW_H + 10,
			l % 2 ? "#f4f4f4" : "#eaeef6", x + 6, HEAD_H - 16,
			exec_agent_name(sh->lane_agent[l]));
	}
	fprintf(out, "<text x=\"8\" y=\"%d\" fill=\"#666\">step</text>\n", HEAD_H - 16);
}

/* Lock holds: acquire -> release by the same agent on the same object. */
static void svg_holds(const struct show *sh, FILE *out)
{
	static uint32_t obj[HOLDS_MAX], from[HOLDS_MAX];
	static uint8_t agent[HOLDS_MAX];
	int open = 0;
	for (uint32_t k = 0; k <= sh->steps; k++) {
		const struct sched_trace_entry *e = k < sh->steps ? &sh->t[k] : NULL;
		if (e && e->op == SCHED_OP_ACQUIRE && (show_marks(k) & SHOW_SYNC) &&
		    open < HOLDS_MAX) {
			obj[open] = e->obj;
			agent[open] = e->agent;
			from[open++] = k;
			continue;
		}
		for (int i = open; i-- > 0;) {
			if (e &&
			    (e->op != SCHED_OP_RELEASE || obj[i] != e->obj || agent[i] != e->agent))
				continue;
			int x = lane_x(sh, agent[i]) + 3 + 4 * (i % 3);
			int y0 = row_y(show_row_of(from[i]));
			int y1 = e ? row_y(show_row_of(k)) : row_y((uint32_t)sh->rows_count);
			fprintf(
			    out,
			    "<rect x=\"%d\" y=\"%d\" width=\"4\" height=\"%d\" fill=\"#1f4fbf\" "
			    "opacity=\"0.55\"><title>%s holds %s:%u (steps "
			    "%u..%u)</title></rect>\n",
			    x, y0, y1 - y0 > 2 ? y1 - y0 : 2, exec_agent_name(agent[i]),
			    trace_obj_kind(obj[i]), SCHED_OBJ_INDEX(obj[i]), from[i],
			    e ? k : sh->steps);
			obj[i] = obj[--open];
			agent[i] = agent[open];
			from[i] = from[open];
			if (e)
				break;
		}
	}
}

/*
 * An arrow from step @a's dot to row @row_b of @agent_b's lane, routed at right
 * angles so that it never runs over a label: a label sits right of its dot, in the
 * row of its own step, and each row shows one agent's step.  Going right: down
 * along a's dot column, then across in b's row into b's dot from the left; going
 * left: across in a's row (a's label is to its right), then down b's dot column.
 */
static void arrow_to_row(const struct show *sh, uint32_t a, int agent_b, uint32_t row_b, uint32_t b,
			 const char *kind, const char *color, const char *dash, FILE *out)
{
	int x0 = lane_x(sh, sh->t[a].agent) + DOT_DX, y0 = row_y(show_row_of(a));
	int x1 = lane_x(sh, agent_b) + DOT_DX, y1 = row_y(row_b);
	int dy = y1 > y0 ? 5 : -5;
	if (x1 > x0)
		fprintf(out, "<path d=\"M%d %d V%d H%d\"", x0, y0, y1, x1 - 5);
	else if (x1 < x0)
		fprintf(out, "<path d=\"M%d %d H%d V%d\"", x0, y0, x1, y1 - dy);
	else
		fprintf(out, "<path d=\"M%d %d V%d\"", x0, y0, y1 - dy);
	fprintf(out,
		" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" stroke-dasharray=\"%s\" "
		"marker-end=\"url(#arrow-%s)\"><title>%s: step %u -> step %u</title></path>\n",
		color, dash, kind,
		!strcmp(kind, "ipi")  ? "IPI"
		: !strcmp(kind, "rf") ? "reads-from"
				      : "the other party -> the violation",
		a, b);
}

static void arrow(const struct show *sh, uint32_t a, uint32_t b, const char *kind,
		  const char *color, const char *dash, FILE *out)
{
	arrow_to_row(sh, a, sh->t[b].agent, show_row_of(b), b, kind, color, dash, out);
}

/*
 * The finding's two parties: the other party's access -> the violating one, which
 * is its own row, or the verdict row when no step shows it (never a folded row).
 */
static void svg_verdict_edge(const struct show *sh, FILE *out)
{
	uint32_t to = sh->violation;
	/* a finding made between yield points (a walker's check): its agent's last step */
	for (uint32_t k = sh->steps; to == SHOW_NONE && sh->r->finding && k-- > 0;)
		if ((int)sh->t[k].agent == sh->r->f.agent)
			to = k;
	if (to == SHOW_NONE || sh->other == SHOW_NONE || sh->other == to || to >= sh->steps ||
	    sh->other >= sh->steps)
		return;
	uint32_t row = show_row_of(to);
	const struct show_row *last = &sh->rows[sh->rows_count - 1];
	if (sh->rows[row].folded && show_row_is_verdict(sh, last))
		row = (uint32_t)(sh->rows_count - 1);
	arrow_to_row(sh, sh->other, sh->t[to].agent, row, to, "verdict", "#c00000", "2,2", out);
}

/* IPI: a send by A (object ipi:A) -> each ack of ipi:A by another agent. */
static void svg_ipis(const struct show *sh, FILE *out)
{
	int drawn = 0;
	for (uint32_t k = 0; k < sh->steps && drawn < EDGES_MAX; k++) {
		const struct sched_trace_entry *ack = &sh->t[k];
		if (ack->op != SCHED_OP_IRQ || SCHED_OBJ_KIND(ack->obj) != SCHED_OBJ_IPI)
			continue;
		uint32_t from = SCHED_OBJ_INDEX(ack->obj);
		if (from == ack->agent)
			continue; /* the sender's own send or wait */
		for (uint32_t j = k; j-- > 0;)
			if (sh->t[j].obj == ack->obj && sh->t[j].agent == from) {
				arrow(sh, j, k, "ipi", "#7a2ea0", "5,3", out);
				drawn++;
				break;
			}
	}
}

/* Reads-from: a racing read (or rmw) -> the last write to its object, by another agent. */
static void svg_reads_from(const struct show *sh, FILE *out)
{
	int drawn = 0;
	for (uint32_t k = 0; k < sh->steps && drawn < EDGES_MAX; k++) {
		const struct sched_trace_entry *rd = &sh->t[k];
		if (!(show_marks(k) & SHOW_RACE) || rd->op == SCHED_OP_WRITE)
			continue;
		for (uint32_t j = k; j-- > 0;) {
			const struct sched_trace_entry *w = &sh->t[j];
			if (w->obj != rd->obj || w->op == SCHED_OP_READ)
				continue;
			if (w->agent != rd->agent) {
				arrow(sh, j, k, "rf", "#178a3a", "none", out);
				drawn++;
			}
			break;
		}
	}
}

static void svg_rows(const struct show *sh, FILE *out)
{
	char text[160];
	for (int i = 0; i < sh->rows_count; i++) {
		const struct show_row *row = &sh->rows[i];
		int y = row_y((uint32_t)i);
		if (show_row_is_verdict(sh, row)) {
			int x = lane_x(sh, sh->r->f.agent);
			fprintf(out, "<text x=\"8\" y=\"%d\" fill=\"#c00000\">%u</text>\n", y + 4,
				sh->r->f.step);
			fprintf(
			    out,
			    "<circle cx=\"%d\" cy=\"%d\" r=\"7\" fill=\"none\" stroke=\"#c00000\" "
			    "stroke-width=\"2\"/>\n<text x=\"%d\" y=\"%d\" fill=\"#c00000\" "
			    "font-weight=\"bold\">",
			    x + DOT_DX, y, x + DOT_DX + 10, y + 4);
			xml_text(sh->r->f.site->name, out);
			fprintf(out, ": %s  &lt;- violation</text>\n", sh->r->f.oracle);
			continue;
		}
		const struct sched_trace_entry *e = &sh->t[row->step];
		int x = lane_x(sh, e->agent);
		if (row->folded) {
			fprintf(
			    out,
			    "<text x=\"%d\" y=\"%d\" fill=\"#888\" font-style=\"italic\">... %u "
			    "steps ...</text>\n",
			    x + DOT_DX + 10, y + 4, row->folded);
			continue;
		}
		uint8_t m = show_marks(row->step);
		const char *color = step_color(m);
		fprintf(out, "<text x=\"8\" y=\"%d\" fill=\"#666\">%u</text>\n", y + 4, row->step);
		if (m & (SHOW_VIOLATION | SHOW_OTHER))
			fprintf(
			    out,
			    "<circle cx=\"%d\" cy=\"%d\" r=\"7\" fill=\"none\" stroke=\"#c00000\" "
			    "stroke-width=\"2\"/>\n",
			    x + DOT_DX, y);
		fprintf(out, "<circle cx=\"%d\" cy=\"%d\" r=\"3.5\" fill=\"%s\"/>\n", x + DOT_DX, y,
			color);
		snprintf(text, sizeof(text), "%s %s %s:%u%s", trace_site_name(e->site),
			 trace_op_name(e->op), trace_obj_kind(e->obj), SCHED_OBJ_INDEX(e->obj),
			 m & SHOW_VIOLATION ? "  <- violation"
			 : m & SHOW_OTHER   ? "  <- other party"
					    : "");
		fprintf(out,
			"<text x=\"%d\" y=\"%d\" fill=\"%s\"%s textLength=\"%d\" "
			"lengthAdjust=\"spacingAndGlyphs\">",
			x + DOT_DX + 10, y + 4, color,
			m & (SHOW_VIOLATION | SHOW_OTHER) ? " font-weight=\"bold\"" : "",
			(int)strlen(text) * 7 < LANE_W - DOT_DX - 20 ? (int)strlen(text) * 7
								     : LANE_W - DOT_DX - 20);
		xml_text(text, out);
		fprintf(out, "</text>\n");
	}
}

/* ---- the state cells: a column of their own right of the lanes ---------------------- */

static int cell_width(const struct show_cell *c)
{
	static const struct {
		const char *kind;
		int width;
	} widths[] = {{"pte", 88}, {"tlb", 88},	  {"what", 40}, {"map", 46},
		      {"ref", 46}, {"dirty", 34}, {"excl", 30}, {"pin", 24}};
	for (size_t i = 0; i < sizeof(widths) / sizeof(widths[0]); i++)
		if (!strcmp(widths[i].kind, c->kind))
			return widths[i].width;
	return 40;
}

/* A new column group: each translation, each frame's first cell. */
static bool cell_starts_group(const struct show_cell *c)
{
	return strcmp(c->kind, "map") && strcmp(c->kind, "ref") && strcmp(c->kind, "dirty") &&
	       strcmp(c->kind, "excl") && strcmp(c->kind, "pin");
}

static int cells_x0(const struct show *sh)
{
	return MARGIN_X + (sh->lanes ? sh->lanes : 1) * LANE_W + 8;
}

/* The x of each cell (and the total width); the same for every row. */
static int cells_layout(const struct show_cell *cells, int n, int *x)
{
	int w = 0;
	for (int i = 0; i < n; i++) {
		if (i && cell_starts_group(&cells[i]))
			w += GROUP_GAP - CELL_GAP;
		x[i] = w;
		w += cell_width(&cells[i]) + CELL_GAP;
	}
	return w;
}

static int cells_width(const struct show *sh)
{
	static struct show_cell cells[SHOW_CELLS_MAX];
	int x[SHOW_CELLS_MAX];
	for (int row = 0; row < sh->rows_count; row++) {
		int n = show_row_cells(sh, (uint32_t)row, cells);
		if (n) { /* room for the heading, too */
			int w = cells_layout(cells, n, x) + 12;
			return w < 330 ? 330 : w;
		}
	}
	return 0;
}

static void cell_colors(const struct show_cell *c, const char **fill, const char **ink)
{
	*fill = "#ffffff";
	*ink = "#222222";
	if (c->style == SHOW_CELL_NONE) {
		*fill = "#f2f2f2";
		*ink = "#aaaaaa";
	} else if (c->style == SHOW_CELL_ALERT) {
		*fill = "#c00000";
		*ink = "#ffffff";
	} else if (c->style == SHOW_CELL_LIT) {
		if (!strcmp(c->kind, "dirty")) {
			*fill = "#ffd8a8";
			*ink = "#7a3e00";
		} else if (!strcmp(c->kind, "pin")) {
			*fill = "#e6d0f5";
			*ink = "#7a2ea0";
		} else {
			*fill = "#cfe0ff";
			*ink = "#1f4fbf";
		}
	}
}

/*
 * The column: a band, the heads above the first row, then the cells of each row
 * that draws them (show_row_draws_cells), each with its tooltip; a cell that
 * changed since the row before is outlined and bold.
 */
static void svg_cells(const struct show *sh, FILE *out)
{
	static struct show_cell cells[SHOW_CELLS_MAX];
	int x[SHOW_CELLS_MAX];
	int x0 = cells_x0(sh), width = cells_width(sh);
	if (!width)
		return;
	fprintf(out,
		"<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fbfaf5\" "
		"stroke=\"#dddddd\"/>\n<text x=\"%d\" y=\"%d\" font-weight=\"bold\">state of P%d "
		"0x%lx after the row</text>\n<text x=\"%d\" y=\"%d\" fill=\"#666\" "
		"font-size=\"10\">(",
		x0 - 4, HEAD_H - 10, width - 4, sh->rows_count * ROW_H + 10, x0, HEAD_H - 44,
		sh->cells.mm, sh->cells.addr, x0, HEAD_H - 31);
	xml_text(sh->cells.why, out);
	fprintf(out, ")</text>\n");
	bool heads = false;
	for (int row = 0; row < sh->rows_count; row++) {
		int n = show_row_cells(sh, (uint32_t)row, cells);
		if (!n)
			continue;
		cells_layout(cells, n, x);
		for (int i = 0; i < n && !heads; i++)
			if (cells[i].head[0]) {
				fprintf(out,
					"<text x=\"%d\" y=\"%d\" font-size=\"10\" "
					"font-weight=\"bold\">",
					x0 + x[i], HEAD_H - 16);
				xml_text(cells[i].head, out);
				fprintf(out, "</text>\n");
			}
		heads = true;
		if (!show_row_draws_cells(sh, (uint32_t)row))
			continue;
		const struct show_row *r = &sh->rows[row];
		int y = row_y((uint32_t)row) - CELL_H / 2;
		if (show_row_is_verdict(sh, r))
			fprintf(out, "<g id=\"state-end\" class=\"state\">\n");
		else
			fprintf(out, "<g id=\"state-after-%u\" class=\"state\">\n",
				r->step + (r->folded ? r->folded - 1 : 0));
		for (int i = 0; i < n; i++) {
			const struct show_cell *c = &cells[i];
			if (!c->text[0] && c->style != SHOW_CELL_ALERT)
				continue; /* no such state (anon-exclusive of a file page) */
			const char *fill, *ink;
			cell_colors(c, &fill, &ink);
			fprintf(out, "<g class=\"cell %s\"><title>", c->kind);
			xml_text(c->tip, out);
			fprintf(out,
				"</title><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
				"rx=\"2\" fill=\"%s\" stroke=\"%s\" stroke-width=\"%s\"/>",
				x0 + x[i], y, cell_width(c), CELL_H, fill,
				c->changed ? "#000000" : "#bbbbbb", c->changed ? "1.5" : "0.7");
			fprintf(out, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"%s\"%s>",
				x0 + x[i] + 3, y + CELL_H - 4, ink,
				c->changed || c->style == SHOW_CELL_ALERT ? " font-weight=\"bold\""
									  : "");
			xml_text(c->text, out);
			fprintf(out, "</text></g>\n");
		}
		fprintf(out, "</g>\n");
	}
}

static void svg_legend(const struct show *sh, FILE *out)
{
	int y = HEAD_H + sh->rows_count * ROW_H + 24;
	fprintf(out, "<text x=\"8\" y=\"%d\" font-weight=\"bold\" fill=\"%s\">verdict: ", y,
		sh->r->finding ? "#c00000" : "#178a3a");
	if (sh->r->finding) {
		xml_text(sh->r->f.oracle, out);
		fprintf(out, " at ");
		xml_text(sh->r->f.site ? sh->r->f.site->name : "-", out);
	} else {
		fprintf(out, "clean");
	}
	fprintf(out, "</text>\n<text x=\"8\" y=\"%d\">", y + 16);
	xml_text(sh->r->finding ? sh->r->f.msg : "", out);
	fprintf(out, "</text>\n");
	y += 40;
	static const struct {
		const char *color, *what;
	} dots[] = {{"#c00000", "the violating access (ringed), the other party; dotted arrow: "
				"from the one to the other"},
		    {"#d06000", "racing access: an object two agents touch, one writing"},
		    {"#1f4fbf", "acquire/release of a lock two agents take; bars: held"},
		    {"#7a2ea0", "irq / IPI; dashed arrow: IPI send -> ack"},
		    {"#178a3a", "arrow: reads-from (last write -> read by another agent)"}};
	for (size_t i = 0; i < sizeof(dots) / sizeof(dots[0]); i++)
		fprintf(out,
			"<circle cx=\"16\" cy=\"%d\" r=\"4\" fill=\"%s\"/><text x=\"28\" "
			"y=\"%d\">%s</text>\n",
			y + (int)i * 16, dots[i].color, y + (int)i * 16 + 4, dots[i].what);
	fprintf(out,
		"<text x=\"28\" y=\"%d\" fill=\"#666\">time flows down; \"... N steps ...\": steps "
		"of one agent that touch nothing racing</text>\n",
		y + 5 * 16 + 4);
	if (!sh->cells.captured)
		return;
	static const char *const lines[] = {
	    "state cells (right), after the row's last step: at the first row, where the state "
	    "changed (outlined) and at the marked rows;",
	    "each process's PTE (or huge PMD), each CPU's TLB entry (no column: the CPU never "
	    "holds "
	    "one): fN: frame N, W/R: writable or not, D: dirty;",
	    "red: stale, the page tables say otherwise; each frame: page cache Fn:index or anon, "
	    "folio mapcount and refcount (a pin apart);",
	    "lit when set: dirty, anon-exclusive (excl), pinned"};
	for (int i = 0; i < 4; i++)
		fprintf(out, "<text x=\"28\" y=\"%d\" fill=\"#666\">%s</text>\n",
			y + (6 + i) * 16 + 4, lines[i]);
}

void show_svg(const struct show *sh, const char *title, FILE *out)
{
	int width = MARGIN_X + (sh->lanes ? sh->lanes : 1) * LANE_W + 20 + cells_width(sh);
	if (width < 640)
		width = 640;
	svg_head(sh, title, width, out);
	svg_holds(sh, out);
	svg_rows(sh, out);
	svg_cells(sh, out);
	svg_ipis(sh, out);
	svg_reads_from(sh, out);
	svg_verdict_edge(sh, out);
	svg_legend(sh, out);
	fprintf(out, "</svg>\n");
}

void show_html(const struct show *sh, const char *title, const char *header, FILE *out)
{
	fprintf(out, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		     "<title>");
	xml_text(title, out);
	fprintf(out, "</title>\n<style>body{font-family:sans-serif;margin:16px;background:#fff}"
		     "pre{font-size:12px;background:#f8f8f8;padding:8px;overflow-x:auto}</style>\n"
		     "</head>\n<body>\n<h1>");
	xml_text(title, out);
	fprintf(out, "</h1>\n");
	if (header && *header) {
		fprintf(out, "<h2>The regression's story</h2>\n<pre class=\"header\">");
		xml_text(header, out);
		fprintf(out, "</pre>\n<h2>The interleaving</h2>\n");
	}
	show_svg(sh, title, out);
	fprintf(out, "<h2>The story</h2>\n<pre>");
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (mem) {
		show_story(sh, title, mem);
		fclose(mem);
		xml_text(buf, out);
		free(buf);
	}
	fprintf(out, "</pre>\n</body>\n</html>\n");
}
