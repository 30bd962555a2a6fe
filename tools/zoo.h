/* SPDX-License-Identifier: MIT */
/*
 * mmfuzz zoo: every knob's race, every strategy, one table (the headline
 * benchmark of DESIGN §6).  zoo.c plans and runs the tries, zoo_try.c runs one
 * try (in a child process), zoo_report.c aggregates and prints, zoo_chart.c draws
 * the SVG from the TSV.
 */
#ifndef MMFUZZ_ZOO_H
#define MMFUZZ_ZOO_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/knobs.h"
#include "scenario.h"

#define ZOO_STRATEGIES_MAX 16
#define ZOO_FAMILIES_MAX   64
#define ZOO_SEEDS_MAX	   64
#define ZOO_NAME_BYTES	   64
#define ZOO_PATH_BYTES	   1024
#define ZOO_ENGINE_RUNS	   3 /* fixed schedules: model runs per execution (RANDOM_RUNS + 1) */

enum zoo_engine { ZOO_LIBFUZZER, ZOO_AFL, ZOO_RANDOM, ZOO_PCT, ZOO_DFS };

struct zoo_strategy {
	enum zoo_engine engine;
	int param; /* PCT depth, DFS bound; engines: 1 = fixed schedules (the "-fixed" names) */
	char name[16];
};

/* How one try ended. */
enum zoo_status {
	ZOO_NONE,	 /* no finding within the budget */
	ZOO_FOUND,	 /* a finding (knob part: the knob's; clean part: a false positive) */
	ZOO_EXHAUSTED,	 /* DFS: every schedule within the bound ran, no finding */
	ZOO_SPURIOUS,	 /* the finding replays with every knob off too: a model bug */
	ZOO_NOREPRO,	 /* the engine crashed, but not into a finding that replays */
	ZOO_NO_SCENARIO, /* in-process strategy, knob without a regression */
	ZOO_ERROR,	 /* the try could not run (see note) */
	ZOO_STATUS_COUNT
};

struct zoo_result {
	int status;    /* enum zoo_status */
	uint64_t runs; /* model runs (engines: their own execution count x ZOO_ENGINE_RUNS) */
	double seconds;
	char oracle[24];
	char note[240];
};

enum zoo_part { ZOO_PART_KNOB, ZOO_PART_CLEAN };

struct zoo_try {
	enum zoo_part part;
	int subject; /* knob part: index into plan.knobs; clean part: into plan.family */
	int strategy;
	uint64_t seed;
	bool done;
	struct zoo_result r;
};

/* One scenario a try starts from: a regression (preemptions stripped) or a family. */
struct zoo_scenario {
	char name[ZOO_NAME_BYTES]; /* file name without .sched, or "" when there is none */
	struct scenario s;
};

struct zoo_plan {
	struct zoo_strategy strategies[ZOO_STRATEGIES_MAX];
	int strategies_count;
	double seconds; /* budget of one try */
	int seeds;
	int jobs;
	bool fuzz_from_corpus; /* engines seeded with every family, not the regression */
	int pages;	       /* the engines' MMFUZZ_PAGES; 0: enough for their seeds */
	bool keep;	       /* keep the work directory */
	int knobs[KNOB_COUNT]; /* knob part: which knobs, in table order */
	int knobs_count;
	struct zoo_scenario regression[KNOB_COUNT];   /* per entry of knobs[] */
	struct zoo_scenario family[ZOO_FAMILIES_MAX]; /* every family of corpus/ */
	int families_count;
	int clean[ZOO_FAMILIES_MAX]; /* clean part: which families */
	int clean_count;
	char bindir[ZOO_PATH_BYTES / 2];
	char workdir[ZOO_PATH_BYTES / 2];
	struct zoo_try *tries;
	int tries_count;
};

/* "libfuzzer", "afl", "random", "pctD", "dfsB" ("pct" = pct3, "dfs" = dfs2). */
bool zoo_strategy_parse(const char *name, struct zoo_strategy *st);
bool zoo_strategy_is_engine(const struct zoo_strategy *st);
const char *zoo_status_name(enum zoo_status s);
/* Row name of a try's subject: the knob's or the family's. */
const char *zoo_subject_name(const struct zoo_plan *p, enum zoo_part part, int subject);

/* Did @t end in a way the verdict fails on: not run, spurious, norepro, error, or
 * any finding in the clean part? */
bool zoo_try_went_wrong(const struct zoo_try *t);

/* Run @t (in a child process of the zoo: it may fork, exec and crash).  Its work
 * directory is WORKDIR/tNNNN (@index); kept when it went wrong. */
void zoo_try_run(const struct zoo_plan *p, const struct zoo_try *t, int index,
		 struct zoo_result *r);

/* rm -rf @dir (the work directory, a try's directory). */
void zoo_remove_tree(const char *dir);

/* Reports over the finished tries.  zoo_report_summary returns the exit verdict:
 * every knob found by some strategy, no finding in the clean part, no try spurious,
 * unreplayable or in error. */
void zoo_report_table(const struct zoo_plan *p, FILE *out);
void zoo_report_tsv(const struct zoo_plan *p, FILE *out);
bool zoo_report_summary(const struct zoo_plan *p, FILE *out);

int cmd_zoo(int argc, char **argv, const char *self);
int cmd_zoo_chart(int argc, char **argv);

#endif
