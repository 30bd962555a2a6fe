/* SPDX-License-Identifier: MIT */
/*
 * Printing an execution for people: the interleaving step by step (or folded to
 * the steps around each context switch, where races live), the result of every
 * operation, and preemptions in their text form.
 */
#ifndef MMFUZZ_TRACE_PRINT_H
#define MMFUZZ_TRACE_PRINT_H

#include <stdio.h>

#include "exec.h"

/* The trace of the last exec_run.  folded: show only the edges of each run of steps. */
void trace_print(const struct scenario *s, const struct exec_result *r, bool folded, FILE *out);
void trace_print_preempt(const struct scn_preempt *p, FILE *out);

#endif
