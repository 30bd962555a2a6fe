/* SPDX-License-Identifier: MIT */
/*
 * The state cells of mmfuzz show (see show.h): the trace records no values, so
 * the scenario runs once more under the same schedule (replay is bit-exact) with a
 * scheduler step hook that, after every row's last step, takes core/inspect.h's
 * read-only look at the address the finding is about.  The hook records nothing
 * and decides nothing: the re-run's fingerprint must equal the first run's, or no
 * cell is shown.  Cost: one more run and one inspection per step.
 */
#include "show.h"

#include <stdlib.h>
#include <string.h>

static struct show_state states[SHOW_ROWS_MAX + 1];
static struct mm_inspect_frame frame_none;

/* "Pn 0x..." in the finding's message: the address it is about. */
static bool address_of_message(const char *msg, int *mm, unsigned long *addr)
{
	for (const char *p = msg; (p = strchr(p, 'P')) != NULL; p++) {
		if (p[1] < '0' || p[1] > '9' || p[2] != ' ' || p[3] != '0' || p[4] != 'x')
			continue;
		if (p > msg && p[-1] != ' ' && p[-1] != '(')
			continue;
		unsigned long a = strtoul(p + 3, NULL, 16);
		if (p[1] - '0' < NR_MMS && a < TASK_SIZE) {
			*mm = p[1] - '0';
			*addr = a & ~(PAGE_SIZE - 1);
			return true;
		}
	}
	return false;
}

static bool address_of_ops(const struct scn_op *ops, int count, int *mm, unsigned long *addr)
{
	for (int i = 0; i < count; i++) {
		uint32_t fields = scn_op_table[ops[i].kind].fields;
		if ((fields & SCN_F_PROC) && (fields & SCN_F_ADDR) && ops[i].addr < TASK_SIZE &&
		    ops[i].proc < NR_MMS) {
			*mm = ops[i].proc;
			*addr = ops[i].addr & ~(PAGE_SIZE - 1);
			return true;
		}
	}
	return false;
}

static bool choose_address(struct show *sh)
{
	struct show_cells *c = &sh->cells;
	if (sh->r->finding && address_of_message(sh->r->f.msg, &c->mm, &c->addr))
		c->why = "the finding's address";
	else if (address_of_ops(sh->s->ops, sh->s->ops_count, &c->mm, &c->addr))
		c->why = "the first address the racing operations touch";
	else if (address_of_ops(sh->s->setup, sh->s->setup_count, &c->mm, &c->addr))
		c->why = "the first address the setup touches";
	else
		return false;
	return true;
}

static void frame_note(struct show_cells *c, uint32_t pfn)
{
	if (pfn >= NR_FRAMES)
		return;
	for (int i = 0; i < c->frames_count; i++)
		if (c->frames[i] == pfn)
			return;
	if (c->frames_count < SHOW_FRAMES_MAX)
		c->frames[c->frames_count++] = pfn;
}

static uint32_t row_last_step(const struct show_row *row)
{
	return row->step + (row->folded ? row->folded - 1 : 0);
}

struct capture {
	struct show *sh;
	uint32_t steps;
};

/* The step hook: @step is about to be recorded, everything before it is done. */
static void capture_step(uint32_t step, void *arg)
{
	struct capture *cap = arg;
	struct show *sh = cap->sh;
	if (step == 0 || step > cap->steps)
		return;
	uint32_t row = show_row_of(step - 1);
	if (row >= (uint32_t)sh->rows_count || row_last_step(&sh->rows[row]) != step - 1)
		return;
	struct show_cells *c = &sh->cells;
	struct show_state *st = &states[row];
	mm_inspect(c->addr, &st->at);
	for (int mm = 0; mm < NR_MMS; mm++) {
		frame_note(c, mm_inspect_pte_pfn(st->at.pte[mm].pte));
		for (int cpu = 0; cpu < NR_CPUS; cpu++)
			if (st->at.tlb[cpu][mm].valid)
				frame_note(c, st->at.tlb[cpu][mm].pfn);
	}
	for (int i = 0; i < c->frames_count; i++)
		mm_inspect_frame(c->frames[i], &st->frame[i]);
	st->frames_count = c->frames_count;
	st->has = true;
	/* the verdict row stands for the end of the concurrent phase */
	const struct show_row *last = &sh->rows[sh->rows_count - 1];
	if (step == cap->steps && show_row_is_verdict(sh, last))
		states[sh->rows_count - 1] = *st;
}

bool show_capture(struct show *sh, struct sched_policy *policy, const struct exec_options *o)
{
	struct show_cells *c = &sh->cells;
	memset(c, 0, sizeof(*c));
	memset(states, 0, sizeof(states));
	if (!sh->rows_count || !choose_address(sh))
		return false;
	static struct exec_result again;
	struct capture cap = {sh, sh->steps};
	sched_set_step_hook(capture_step, &cap);
	exec_run(sh->s, policy, o, &again);
	sched_set_step_hook(NULL, NULL);
	bool any = false; /* none when a setup line failed: no concurrent phase */
	for (int row = 0; row < sh->rows_count; row++)
		any |= states[row].has;
	if (!any || again.fingerprint != sh->r->fingerprint || again.steps != sh->r->steps) {
		memset(states, 0, sizeof(states));
		c->frames_count = 0;
		return false;
	}
	/* columns: the processes the scenario names, the TLB entries some row holds */
	for (int i = 0; i < sh->s->setup_count + sh->s->ops_count; i++) {
		const struct scn_op *op =
		    i < sh->s->setup_count ? &sh->s->setup[i] : &sh->s->ops[i - sh->s->setup_count];
		if ((scn_op_table[op->kind].fields & SCN_F_PROC) && op->proc < NR_MMS)
			c->mms_mask |= 1u << op->proc;
	}
	c->mms_mask |= 1u << c->mm;
	for (int row = 0; row < sh->rows_count; row++)
		for (int cpu = 0; states[row].has && cpu < NR_CPUS; cpu++)
			for (int mm = 0; mm < NR_MMS; mm++)
				if (states[row].at.tlb[cpu][mm].valid)
					c->tlb_mask |= 1u << (cpu * NR_MMS + mm);
	c->captured = true;
	return true;
}

const struct show_state *show_state_of_row(const struct show *sh, uint32_t row)
{
	if (!sh->cells.captured || row >= (uint32_t)sh->rows_count || !states[row].has)
		return NULL;
	return &states[row];
}

/* ---- cells ------------------------------------------------------------------------ */

static struct show_cell *cell_add(struct show_cell *cells, int *n, const char *kind, uint8_t style)
{
	struct show_cell *cell = &cells[(*n)++];
	memset(cell, 0, sizeof(*cell));
	cell->kind = kind;
	cell->style = style;
	return cell;
}

/* "f5 W D": the frame, writable, dirty. */
static void translation_text(char *buf, size_t bytes, const char *prefix, uint32_t pfn, bool write,
			     bool dirty)
{
	snprintf(buf, bytes, "%sf%u %s%s", prefix, pfn, write ? "W" : "R", dirty ? " D" : "");
}

static void pte_cell(const struct show *sh, const struct show_state *st, int mm,
		     struct show_cell *cell)
{
	const struct mm_inspect_pte *p = &st->at.pte[mm];
	pte_t pte = p->pte;
	snprintf(cell->head, sizeof(cell->head), "P%d PTE", mm); /* text "PMD ...": huge */
	if (pte_present(pte)) {
		translation_text(cell->text, sizeof(cell->text), p->huge ? "PMD " : "",
				 pte_pfn(pte), pte_write(pte), pte_dirty(pte));
		snprintf(cell->tip, sizeof(cell->tip), "P%d's %s maps 0x%lx to frame %u, %s%s%s%s",
			 mm, p->huge ? "huge PMD" : "PTE", sh->cells.addr, pte_pfn(pte),
			 pte_write(pte) ? "writable" : "read-only", pte_dirty(pte) ? ", dirty" : "",
			 pte_young(pte) ? ", young" : "", p->pmd_split ? " (being split)" : "");
	} else if (is_migration_entry(pte)) {
		snprintf(cell->text, sizeof(cell->text), "mig f%u%s", migration_entry_pfn(pte),
			 is_writable_migration_entry(pte) ? " W" : "");
		snprintf(cell->tip, sizeof(cell->tip),
			 "P%d's PTE for 0x%lx is a migration entry for frame %u", mm,
			 sh->cells.addr, migration_entry_pfn(pte));
	} else if (is_device_private_entry(pte)) {
		snprintf(cell->text, sizeof(cell->text), "dev f%u%s", device_private_entry_pfn(pte),
			 is_writable_device_private_entry(pte) ? " W" : "");
		snprintf(cell->tip, sizeof(cell->tip),
			 "P%d's PTE for 0x%lx is a device-private entry for frame %u (device "
			 "memory)%s",
			 mm, sh->cells.addr, device_private_entry_pfn(pte),
			 is_writable_device_private_entry(pte) ? ", writable" : "");
	} else if (is_swap_pte(pte)) {
		snprintf(cell->text, sizeof(cell->text), "swp s%u%s", swp_offset(pte),
			 pte_swp_exclusive(pte) ? " X" : "");
		snprintf(cell->tip, sizeof(cell->tip),
			 "P%d's PTE for 0x%lx is a swap entry for slot %u%s", mm, sh->cells.addr,
			 swp_offset(pte), pte_swp_exclusive(pte) ? ", exclusive" : "");
	} else {
		cell->style = SHOW_CELL_NONE;
		snprintf(cell->text, sizeof(cell->text), "none");
		snprintf(cell->tip, sizeof(cell->tip), "P%d maps nothing at 0x%lx", mm,
			 sh->cells.addr);
	}
}

static void tlb_cell(const struct show *sh, const struct show_state *st, int cpu, int mm,
		     struct show_cell *cell)
{
	const struct mm_inspect_tlb *t = &st->at.tlb[cpu][mm];
	bool other_mms = sh->cells.mms_mask & (sh->cells.mms_mask - 1);
	if (other_mms)
		snprintf(cell->head, sizeof(cell->head), "CPU%d TLB P%d", cpu, mm);
	else
		snprintf(cell->head, sizeof(cell->head), "CPU%d TLB", cpu);
	if (!t->valid) {
		cell->style = SHOW_CELL_NONE;
		snprintf(cell->text, sizeof(cell->text), "-");
		snprintf(cell->tip, sizeof(cell->tip), "CPU%d's TLB holds nothing for P%d 0x%lx",
			 cpu, mm, sh->cells.addr);
		return;
	}
	translation_text(cell->text, sizeof(cell->text), "", t->pfn, t->write, t->dirty);
	if (t->stale) {
		cell->style = SHOW_CELL_ALERT;
		strncat(cell->text, " stale", sizeof(cell->text) - strlen(cell->text) - 1);
	}
	snprintf(cell->tip, sizeof(cell->tip),
		 "CPU%d's TLB translates P%d 0x%lx to frame %u, %s%s%s%s", cpu, mm, sh->cells.addr,
		 t->pfn, t->write ? "writable" : "read-only", t->dirty ? ", dirty" : "",
		 t->cont ? ", a contpte block entry" : "",
		 t->stale ? " -- stale: the page tables no longer say so" : "");
}

/* A frame's group: what it is, mapcount, refcount, dirty, anon-exclusive, pinned. */
static void frame_group(const struct mm_inspect_frame *f, bool have, struct show_cell *cells,
			int *n)
{
	struct show_cell *what = cell_add(cells, n, "what", SHOW_CELL_PLAIN);
	snprintf(what->head, sizeof(what->head), "frame %u", f->pfn);
	struct show_cell *map = cell_add(cells, n, "map", SHOW_CELL_PLAIN);
	struct show_cell *ref = cell_add(cells, n, "ref", SHOW_CELL_PLAIN);
	struct show_cell *dirty = cell_add(cells, n, "dirty", SHOW_CELL_NONE);
	struct show_cell *excl = cell_add(cells, n, "excl", SHOW_CELL_NONE);
	struct show_cell *pin = cell_add(cells, n, "pin", SHOW_CELL_NONE);
	if (!have) { /* no row named it yet */
		what->style = SHOW_CELL_NONE;
		snprintf(what->tip, sizeof(what->tip), "frame %u: not yet named here", f->pfn);
		return;
	}
	if (!f->allocated) {
		what->style = SHOW_CELL_NONE;
		snprintf(what->text, sizeof(what->text), "free");
		snprintf(what->tip, sizeof(what->tip), "frame %u is free", f->pfn);
		return;
	}
	if (f->file >= 0)
		snprintf(what->text, sizeof(what->text), "F%d:%lu", f->file, f->index);
	else
		snprintf(what->text, sizeof(what->text),
			 f->ksm	   ? "ksm"
			 : f->anon ? "anon"
				   : "page");
	snprintf(what->tip, sizeof(what->tip), "frame %u: %s%s%s (folio of %d page%s at frame %u)",
		 f->pfn,
		 f->file >= 0 ? "page cache"
		 : f->ksm     ? "a KSM page"
		 : f->anon    ? "anonymous"
			      : "a page",
		 f->locked ? ", locked" : "", f->writeback ? ", under writeback" : "",
		 1 << f->order, f->order ? "s" : "", f->head);
	snprintf(map->text, sizeof(map->text), "map %d", f->mapcount);
	snprintf(map->tip, sizeof(map->tip), "frame %u: folio mapcount %d (this page's PTEs: %d)",
		 f->pfn, f->mapcount, f->page_mapcount);
	snprintf(ref->text, sizeof(ref->text), "ref %d", f->refs_unpinned);
	snprintf(ref->tip, sizeof(ref->tip), "frame %u: folio refcount %d%s", f->pfn, f->refcount,
		 f->pinned ? " (each pin adds GUP_PIN_COUNTING_BIAS: shown apart)" : "");
	snprintf(dirty->text, sizeof(dirty->text), "dirty");
	snprintf(dirty->tip, sizeof(dirty->tip), "frame %u: PG_dirty %s", f->pfn,
		 f->dirty ? "set" : "clear");
	dirty->style = f->dirty ? SHOW_CELL_LIT : SHOW_CELL_NONE;
	if (f->anon) {
		snprintf(excl->text, sizeof(excl->text), "excl");
		snprintf(excl->tip, sizeof(excl->tip), "frame %u: PageAnonExclusive %s", f->pfn,
			 f->anon_exclusive ? "set" : "clear");
		excl->style = f->anon_exclusive ? SHOW_CELL_LIT : SHOW_CELL_NONE;
	}
	snprintf(pin->text, sizeof(pin->text), "pin");
	snprintf(pin->tip, sizeof(pin->tip), "frame %u: %s", f->pfn,
		 f->pinned ? "pinned (folio_maybe_dma_pinned)" : "not pinned");
	pin->style = f->pinned ? SHOW_CELL_LIT : SHOW_CELL_NONE;
}

static int cells_of_state(const struct show *sh, const struct show_state *st,
			  struct show_cell *cells)
{
	const struct show_cells *c = &sh->cells;
	int n = 0;
	for (int mm = 0; mm < NR_MMS; mm++)
		if (c->mms_mask >> mm & 1u)
			pte_cell(sh, st, mm, cell_add(cells, &n, "pte", SHOW_CELL_PLAIN));
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (int mm = 0; mm < NR_MMS; mm++)
			if (c->tlb_mask >> (cpu * NR_MMS + mm) & 1u)
				tlb_cell(sh, st, cpu, mm,
					 cell_add(cells, &n, "tlb", SHOW_CELL_PLAIN));
	for (int i = 0; i < c->frames_count; i++) {
		/* a frame first named by a later row: not inspected here */
		if (i < st->frames_count) {
			frame_group(&st->frame[i], true, cells, &n);
			continue;
		}
		frame_none.pfn = c->frames[i];
		frame_group(&frame_none, false, cells, &n);
	}
	return n;
}

int show_row_cells(const struct show *sh, uint32_t row, struct show_cell *cells)
{
	const struct show_state *st = show_state_of_row(sh, row);
	if (!st)
		return 0;
	int n = cells_of_state(sh, st, cells);
	const struct show_state *before = NULL;
	for (uint32_t r = row; !before && r-- > 0;)
		before = show_state_of_row(sh, r);
	if (!before)
		return n;
	static struct show_cell prev[SHOW_CELLS_MAX];
	int m = cells_of_state(sh, before, prev);
	for (int i = 0; i < n && i < m; i++)
		cells[i].changed =
		    strcmp(cells[i].text, prev[i].text) || cells[i].style != prev[i].style;
	return n;
}

bool show_row_draws_cells(const struct show *sh, uint32_t row)
{
	if (!show_state_of_row(sh, row))
		return false;
	const struct show_row *r = &sh->rows[row];
	if (show_row_is_verdict(sh, r) ||
	    (!r->folded && (show_marks(r->step) & (SHOW_VIOLATION | SHOW_OTHER))))
		return true;
	static struct show_cell cells[SHOW_CELLS_MAX];
	int n = show_row_cells(sh, row, cells);
	bool first = true;
	for (uint32_t k = row; first && k-- > 0;)
		first = !show_state_of_row(sh, k);
	for (int i = 0; i < n && !first; i++)
		if (cells[i].changed)
			return true;
	return first;
}
