/* SPDX-License-Identifier: MIT */
/*
 * For the one-operation-at-a-time tests: run a scenario text and insist that it
 * ran clean and that every operation completed.
 */
#ifndef MMFUZZ_TESTS_RUN_CLEAN_H
#define MMFUZZ_TESTS_RUN_CLEAN_H

#include <criterion/criterion.h>

#include "exec.h"

/* Parse @text into *@s and run it (its own schedule, if any) into *@r.
 * @keep_state: no quiescence, the model stays as the agents left it. */
static inline void run_clean(const char *text, bool keep_state, struct scenario *s,
			     struct exec_result *r)
{
	char err[512];
	struct exec_options o;
	exec_options_default(&o);
	o.keep_state = keep_state;
	cr_assert(exec_text(text, &o, s, r, err, sizeof(err)), "%s", err);
	cr_assert(!r->finding, "unexpected %s: %s", r->f.oracle, r->f.msg);
	for (int i = 0; i < s->ops_count; i++)
		cr_assert(r->ops[i].done, "operation %d did not complete", i + 1);
}

#endif
