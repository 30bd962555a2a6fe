/* SPDX-License-Identifier: MIT */
/* Analysis of a trace and the text story (see show.h). */
#include "show.h"

#include <string.h>

#include "trace_print.h"

#define OBJS_MAX 2048

static uint8_t marks[SCHED_TRACE_MAX];
static uint32_t row_of[SCHED_TRACE_MAX];

uint8_t show_marks(uint32_t step)
{
	return step < SCHED_TRACE_MAX ? marks[step] : 0;
}

uint32_t show_row_of(uint32_t step)
{
	return step < SCHED_TRACE_MAX ? row_of[step] : SHOW_NONE;
}

static bool op_is_access(unsigned op)
{
	return op == SCHED_OP_READ || op == SCHED_OP_WRITE || op == SCHED_OP_RMW;
}

/*
 * Steps worth showing by their object: an access to an object two agents touch,
 * at least one writing (SHOW_RACE), and lock operations on a lock that two agents
 * take (SHOW_SYNC; RCU read sections exclude nobody and are left out).
 * O(steps * objects): the objects of one execution are a few hundred at most; past
 * OBJS_MAX an object is simply never shown for its object.
 */
static void mark_shared(const struct sched_trace_entry *t, uint32_t n)
{
	static uint32_t obj[OBJS_MAX], users[OBJS_MAX], lockers[OBJS_MAX];
	static bool written[OBJS_MAX];
	int count = 0;
	for (int pass = 0; pass < 2; pass++)
		for (uint32_t k = 0; k < n; k++) {
			bool access = op_is_access(t[k].op);
			bool lock = (t[k].op == SCHED_OP_ACQUIRE || t[k].op == SCHED_OP_RELEASE ||
				     t[k].op == SCHED_OP_RETRY) &&
				    SCHED_OBJ_KIND(t[k].obj) != SCHED_OBJ_RCU;
			if (!access && !lock)
				continue;
			int i = 0;
			while (i < count && obj[i] != t[k].obj)
				i++;
			if (pass == 1) {
				bool two_users = i < count && (users[i] & (users[i] - 1));
				bool two_lockers = i < count && (lockers[i] & (lockers[i] - 1));
				if (access && two_users && written[i])
					marks[k] |= SHOW_RACE;
				if (lock && two_lockers)
					marks[k] |= SHOW_SYNC;
				continue;
			}
			if (i == count) {
				if (count == OBJS_MAX)
					continue;
				obj[count] = t[k].obj;
				users[count] = lockers[count] = 0;
				written[count++] = false;
			}
			if (access) {
				users[i] |= 1u << t[k].agent;
				written[i] |= t[k].op != SCHED_OP_READ;
			} else {
				lockers[i] |= 1u << t[k].agent;
			}
		}
}

/* The last step at or before @before of @agent (any if < 0) at site @site. */
static uint32_t find_back(const struct show *sh, uint32_t before, const struct sched_site *site,
			  int agent)
{
	if (!site)
		return SHOW_NONE;
	for (uint32_t k = before < sh->steps ? before + 1 : sh->steps; k-- > 0;)
		if (sh->t[k].site == site->id && (agent < 0 || sh->t[k].agent == agent))
			return k;
	return SHOW_NONE;
}

static void add_row(struct show *sh, uint32_t step, uint32_t folded)
{
	if (sh->rows_count == SHOW_ROWS_MAX) {
		sh->rows_truncated = true;
		return;
	}
	sh->rows[sh->rows_count++] = (struct show_row){step, folded};
}

void show_analyze(struct show *sh, const struct scenario *s, const struct exec_result *r)
{
	memset(sh, 0, sizeof(*sh));
	sh->s = s;
	sh->r = r;
	sh->t = sched_trace(&sh->steps);
	if (sh->steps > SCHED_TRACE_MAX)
		sh->steps = SCHED_TRACE_MAX;
	for (int a = 0; a < SCHED_AGENTS_MAX; a++)
		sh->agent_lane[a] = -1;
	for (int a = 0; a < SCN_SCHED_AGENTS; a++)
		if (exec_agent_has_ops(s, a)) {
			sh->agent_lane[a] = sh->lanes;
			sh->lane_agent[sh->lanes++] = a;
		}
	const struct sched_trace_entry *t = sh->t;
	uint32_t n = sh->steps;
	memset(marks, 0, sizeof(marks));
	mark_shared(t, n);
	for (uint32_t k = 0; k < n; k++) {
		switch (t[k].op) {
		case SCHED_OP_IRQ:
			if (SCHED_OBJ_KIND(t[k].obj) == SCHED_OBJ_IPI)
				marks[k] |= SHOW_IRQ;
			break;
		case SCHED_OP_EVENT:
			marks[k] |= SHOW_EVENT;
			break;
		default:
			break;
		}
		if (t[k].flags & SCHED_TRACE_SWITCH)
			marks[k] |= SHOW_SWITCH;
	}
	sh->violation = sh->other = SHOW_NONE;
	if (r->finding) {
		uint32_t last = r->f.step ? r->f.step - 1 : 0;
		sh->violation = find_back(sh, last, r->f.site, r->f.agent);
		sh->other = find_back(sh, last, r->f.site2, -1);
		if (sh->violation != SHOW_NONE)
			marks[sh->violation] |= SHOW_VIOLATION;
		if (sh->other != SHOW_NONE)
			marks[sh->other] |= SHOW_OTHER;
	}
	for (uint32_t k = 0; k < n;) {
		uint32_t end = k;
		while (end < n && !marks[end] && (end == k || t[end].agent == t[k].agent))
			end++;
		if (end == k) { /* a step that matters */
			row_of[k] = (uint32_t)sh->rows_count;
			add_row(sh, k, 0);
			k++;
			continue;
		}
		for (uint32_t j = k; j < end; j++)
			row_of[j] = (uint32_t)sh->rows_count;
		add_row(sh, k, end - k > 1 ? end - k : 0);
		k = end;
	}
	/* a check made before the access it judges (tlb_fill) or after the run: its own row */
	if (r->finding && sh->violation == SHOW_NONE && r->f.site && r->f.agent >= 0)
		add_row(sh, n, 0);
}

bool show_row_is_verdict(const struct show *sh, const struct show_row *row)
{
	return row->step >= sh->steps;
}

/* ---- the text story ------------------------------------------------------------------- */

#define COL_CHARS 46

static char gutter(uint8_t m)
{
	if (m & (SHOW_VIOLATION | SHOW_OTHER))
		return '!';
	if (m & SHOW_RACE)
		return '~';
	if (m & SHOW_SWITCH)
		return '>';
	return ' ';
}

/* One cell: "site op kind:index", cut to COL_CHARS. */
static void cell(const struct sched_trace_entry *e, char *buf, size_t bytes)
{
	char tail[32];
	snprintf(tail, sizeof(tail), " %s %s:%u", trace_op_name(e->op), trace_obj_kind(e->obj),
		 SCHED_OBJ_INDEX(e->obj));
	const char *site = trace_site_name(e->site);
	int room = COL_CHARS - (int)strlen(tail);
	int len = (int)strlen(site);
	if (len > room)
		snprintf(buf, bytes, "..%s%s", site + len - (room - 2), tail);
	else
		snprintf(buf, bytes, "%s%s", site, tail);
}

static void story_line(const struct show *sh, int lane, char mark, uint32_t step, const char *text,
		       FILE *out)
{
	if (step == SHOW_NONE)
		fprintf(out, "        ");
	else
		fprintf(out, "%6u %c", step, mark);
	fprintf(out, "%*s%s\n", lane * (COL_CHARS + 2), "", text);
	(void)sh;
}

/* "state after step N: P0 PTE none | CPU2 TLB f5 W D stale | frame 5 F0:0 map 0 ref 1 dirty" */
static void story_state(const struct show *sh, int row, FILE *out)
{
	static struct show_cell cells[SHOW_CELLS_MAX];
	int n = show_row_cells(sh, (uint32_t)row, cells);
	if (!n)
		return;
	const struct show_row *r = &sh->rows[row];
	fprintf(out, "        "); /* from the left: wider than a column */
	if (show_row_is_verdict(sh, r))
		fprintf(out, "state when the agents stopped:");
	else
		fprintf(out, "state after step %u:", r->step + (r->folded ? r->folded - 1 : 0));
	for (int i = 0; i < n; i++) {
		const struct show_cell *c = &cells[i];
		bool flag = strcmp(c->kind, "dirty") == 0 || strcmp(c->kind, "excl") == 0 ||
			    strcmp(c->kind, "pin") == 0;
		if (!strcmp(c->kind, "dirty") && c->text[0] && c->style != SHOW_CELL_LIT) {
			fprintf(out, " clean");
			continue;
		}
		if (flag && c->style != SHOW_CELL_LIT)
			continue;
		if (!c->text[0])
			continue;
		if (!strcmp(c->kind, "pte") && !strncmp(c->text, "PMD ", 4)) /* "P0 PMD f17 W" */
			fprintf(out, "%s %.*s %s", i ? " |" : "", (int)strcspn(c->head, " "),
				c->head, c->text);
		else if (c->head[0])
			fprintf(out, "%s %s %s", i ? " |" : "", c->head, c->text);
		else
			fprintf(out, " %s", c->text);
	}
	fprintf(out, "\n");
}

void show_story(const struct show *sh, const char *title, FILE *out)
{
	fprintf(out, "%s\n", title);
	trace_print_ops(sh->s, sh->r, out);
	fprintf(out,
		"\ninterleaving: %u steps in %d rows (~ racing access, ! the violation, > "
		"after a context switch)\n",
		sh->steps, sh->rows_count);
	if (sh->cells.captured)
		fprintf(out, "state cells: P%d 0x%lx (%s)\n", sh->cells.mm, sh->cells.addr,
			sh->cells.why);
	fprintf(out, "  step  ");
	for (int l = 0; l < sh->lanes; l++)
		fprintf(out, "%-*s", COL_CHARS + 2, exec_agent_name(sh->lane_agent[l]));
	fprintf(out, "\n");
	char buf[COL_CHARS + 64];
	for (int i = 0; i < sh->rows_count; i++) {
		const struct show_row *row = &sh->rows[i];
		if (show_row_is_verdict(sh, row)) {
			int agent = sh->r->f.agent;
			snprintf(buf, sizeof(buf), "%s: %s <- the violation", sh->r->f.site->name,
				 sh->r->f.oracle);
			story_line(sh, sh->agent_lane[agent] < 0 ? 0 : sh->agent_lane[agent], '!',
				   row->step, buf, out);
			story_state(sh, i, out);
			continue;
		}
		const struct sched_trace_entry *e = &sh->t[row->step];
		int lane = sh->agent_lane[e->agent] < 0 ? 0 : sh->agent_lane[e->agent];
		if (row->folded) {
			snprintf(buf, sizeof(buf), "... %u steps ...", row->folded);
			story_line(sh, lane, ' ', SHOW_NONE, buf, out);
			continue;
		}
		uint8_t m = show_marks(row->step);
		cell(e, buf, sizeof(buf));
		story_line(sh, lane, gutter(m), row->step, buf, out);
		if (m & (SHOW_VIOLATION | SHOW_OTHER)) {
			story_line(sh, lane, ' ', SHOW_NONE,
				   m & SHOW_VIOLATION ? "^^^ the violation" : "^^^ the other party",
				   out);
			story_state(sh, i, out);
		}
	}
	if (sh->rows_truncated)
		fprintf(out, "        (more than %d rows: the rest is cut)\n", SHOW_ROWS_MAX);
	if (sh->r->finding)
		fprintf(out, "\nverdict: %s at %s: %s\n", sh->r->f.oracle,
			sh->r->f.site ? sh->r->f.site->name : "-", sh->r->f.msg);
	else
		fprintf(out, "\nverdict: clean\n");
}
