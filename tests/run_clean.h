/* SPDX-License-Identifier: MIT */
/*
 * For the one-operation-at-a-time tests: run a scenario text and insist that it
 * ran clean and that every operation completed; count a site in its trace.
 */
#ifndef MMFUZZ_TESTS_RUN_CLEAN_H
#define MMFUZZ_TESTS_RUN_CLEAN_H

#include <criterion/criterion.h>
#include <string.h>

#include "exec.h"

/* Parse @text into *@s and run it (its own schedule, if any) into *@r, with
 * @knobs.  @keep_state: no quiescence, the model stays as the agents left it. */
static inline void run_clean_knobs(const char *text, uint64_t knobs, bool keep_state,
				   struct scenario *s, struct exec_result *r)
{
	char err[512];
	struct exec_options o;
	exec_options_default(&o);
	o.knobs = knobs;
	o.keep_state = keep_state;
	cr_assert(exec_text(text, &o, s, r, err, sizeof(err)), "%s", err);
	cr_assert(!r->finding, "unexpected %s: %s", r->f.oracle, r->f.msg);
	for (int i = 0; i < s->ops_count; i++)
		cr_assert(r->ops[i].done, "operation %d did not complete", i + 1);
}

static inline void run_clean(const char *text, bool keep_state, struct scenario *s,
			     struct exec_result *r)
{
	run_clean_knobs(text, 0, keep_state, s, r);
}

/* How often the last run passed the yield point named @site ("func:label"). */
static inline int trace_count(const char *site)
{
	uint32_t n;
	const struct sched_trace_entry *t = sched_trace(&n);
	int count = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct sched_site *st = sched_site_by_id(t[i].site);
		count += st && !strcmp(st->name, site);
	}
	return count;
}

#endif
