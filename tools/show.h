/* SPDX-License-Identifier: MIT */
/*
 * Showing one execution to people (mmfuzz show): what matters in the trace, as a
 * text story with one column per agent and as SVG swimlanes (also embedded in a
 * self-contained HTML page).
 *
 * What matters: the racing accesses (an object touched by two agents, one of them
 * writing), acquire/release of locks two agents take, IPI send/ack, model events
 * (flushes, fills), the first step after every context switch, and the violating
 * access (the finding's site, and the other party's).  Runs of other steps are folded
 * ("... 12 steps ...").
 *
 * Works on the trace of the last exec_run (sched_trace), so call show_analyze right
 * after running.  The trace records no values: show_capture (show_state.c) runs
 * the scenario again under the same schedule and keeps, after each row, the state
 * of the address the finding is about — its PTE or huge PMD in each process the
 * scenario names, the TLB entry of each CPU that holds one at some row, the frames
 * those name (mapcount, refcount, dirty,
 * anon-exclusive, pinned) — shown as state cells: a line under the violation and
 * the other party in the story, a column right of the lanes in the SVG.  Leaves
 * out: the payload's values (the story prints each operation's result and the
 * oracle's message instead), the state of other addresses.
 */
#ifndef MMFUZZ_SHOW_H
#define MMFUZZ_SHOW_H

#include <stdio.h>

#include "../core/inspect.h"
#include "exec.h"

enum show_mark {
	SHOW_RACE = 1u << 0,	  /* an access to an object two agents touch, one writing */
	SHOW_SYNC = 1u << 1,	  /* acquire/release/retry of a lock two agents take */
	SHOW_IRQ = 1u << 2,	  /* IPI send/wait/ack */
	SHOW_EVENT = 1u << 3,	  /* flush, fill, ... */
	SHOW_SWITCH = 1u << 4,	  /* first step after a context switch */
	SHOW_VIOLATION = 1u << 5, /* the finding's site */
	SHOW_OTHER = 1u << 6,	  /* the other party's site */
};

#define SHOW_ROWS_MAX 8192
#define SHOW_NONE     UINT32_MAX

struct show_row {
	uint32_t step;	 /* first step */
	uint32_t folded; /* 0: one step shown; else this many steps folded */
};

#define SHOW_FRAMES_MAX 3 /* frames with state cells: more would not fit the page */

/*
 * The state cells (show_capture): which address, and which of its translations
 * and frames have a column.  A frame gets one from the first row whose PTE or TLB
 * entry names it, in that order, up to SHOW_FRAMES_MAX.
 */
struct show_cells {
	bool captured;
	int mm; /* the address shown: process and address */
	unsigned long addr;
	const char *why;   /* how the address was chosen */
	uint32_t mms_mask; /* processes whose PTE has a column */
	uint32_t tlb_mask; /* bit cpu * NR_MMS + mm: TLB entries with a column */
	int frames_count;
	uint32_t frames[SHOW_FRAMES_MAX];
};

/* The state after a row's last step (the verdict row: after the concurrent phase). */
struct show_state {
	bool has;
	struct mm_inspect at;
	int frames_count; /* the first of show_cells.frames, named by then */
	struct mm_inspect_frame frame[SHOW_FRAMES_MAX];
};

enum show_cell_style {
	SHOW_CELL_PLAIN,
	SHOW_CELL_NONE,	 /* nothing there (no PTE, no TLB entry, a flag clear) */
	SHOW_CELL_LIT,	 /* a flag set */
	SHOW_CELL_ALERT, /* a TLB entry the page tables disagree with */
};

/* One cell of a row; the columns (and heads) are the same in every row. */
struct show_cell {
	const char *kind; /* "pte", "tlb", "what", "map", "ref", "dirty", "excl", "pin" */
	char head[32];	  /* the column's head; "" for the rest of a frame's group */
	char text[24];
	char tip[192];
	uint8_t style; /* enum show_cell_style */
	bool changed;  /* differs from the row before */
};
#define SHOW_CELLS_MAX (NR_MMS + NR_CPUS * NR_MMS + 6 * SHOW_FRAMES_MAX)

struct show {
	const struct scenario *s;
	const struct exec_result *r;
	const struct sched_trace_entry *t;
	uint32_t steps;
	int lanes;			  /* agents with operations */
	int lane_agent[SCN_SCHED_AGENTS]; /* lane -> agent */
	int agent_lane[SCHED_AGENTS_MAX]; /* agent -> lane, -1 if none */
	uint32_t violation, other;	  /* steps, or SHOW_NONE */
	int rows_count;
	bool rows_truncated;
	struct show_row rows[SHOW_ROWS_MAX];
	struct show_cells cells;
};

/* Analyze the trace of the run that produced @r (the last exec_run). */
void show_analyze(struct show *sh, const struct scenario *s, const struct exec_result *r);
uint8_t show_marks(uint32_t step);   /* of the last show_analyze */
uint32_t show_row_of(uint32_t step); /* the row showing @step */
/* The last row may stand for the finding itself, when no step shows its access. */
bool show_row_is_verdict(const struct show *sh, const struct show_row *row);

/*
 * The state cells: re-run the scenario (bit-exact) under @policy and @o, as the
 * run that produced the trace, with a step hook that inspects the address the
 * finding is about after every row.  The address: "Pn 0x..." in the finding's
 * message; else the first address of an operation of the concurrent phase (else
 * of the setup).  False (no cells) when there is none or the re-run differs.
 */
bool show_capture(struct show *sh, struct sched_policy *policy, const struct exec_options *o);
const struct show_state *show_state_of_row(const struct show *sh, uint32_t row); /* or NULL */
/* The cells of @row (none: 0); @cells holds SHOW_CELLS_MAX. */
int show_row_cells(const struct show *sh, uint32_t row, struct show_cell *cells);
/* Draw @row's cells: a marked row, the first, or one whose state changed. */
bool show_row_draws_cells(const struct show *sh, uint32_t row);

void show_story(const struct show *sh, const char *title, FILE *out);
void show_svg(const struct show *sh, const char *title, FILE *out);
/* @header: the scenario file's leading comment (its story), shown first; may be NULL. */
void show_html(const struct show *sh, const char *title, const char *header, FILE *out);

#endif
