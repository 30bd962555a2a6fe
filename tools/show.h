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
 * after running.  Leaves out: values (the trace does not record them; the story
 * prints each operation's result and the oracle's message instead).
 */
#ifndef MMFUZZ_SHOW_H
#define MMFUZZ_SHOW_H

#include <stdio.h>

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

struct show {
	const struct scenario *s;
	const struct exec_result *r;
	const struct sched_trace_entry *t;
	uint32_t steps;
	int lanes;			  /* agents with operations */
	int lane_agent[SCN_AGENTS_MAX];	  /* lane -> agent */
	int agent_lane[SCHED_AGENTS_MAX]; /* agent -> lane, -1 if none */
	uint32_t violation, other;	  /* steps, or SHOW_NONE */
	int rows_count;
	bool rows_truncated;
	struct show_row rows[SHOW_ROWS_MAX];
};

/* Analyze the trace of the run that produced @r (the last exec_run). */
void show_analyze(struct show *sh, const struct scenario *s, const struct exec_result *r);
uint8_t show_marks(uint32_t step);   /* of the last show_analyze */
uint32_t show_row_of(uint32_t step); /* the row showing @step */
/* The last row may stand for the finding itself, when no step shows its access. */
bool show_row_is_verdict(const struct show *sh, const struct show_row *row);

void show_story(const struct show *sh, const char *title, FILE *out);
void show_svg(const struct show *sh, const char *title, FILE *out);
/* @header: the scenario file's leading comment (its story), shown first; may be NULL. */
void show_html(const struct show *sh, const char *title, const char *header, FILE *out);

#endif
