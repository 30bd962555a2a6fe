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
/* Every operation of @s with its result in @r ("-> ok", "-> error -14", a load's value). */
void trace_print_ops(const struct scenario *s, const struct exec_result *r, FILE *out);
void trace_print_preempt(const struct scn_preempt *p, FILE *out);

/* Names for people: an enum sched_op ("write"), an object's kind ("pte"), a site. */
const char *trace_op_name(unsigned op);
const char *trace_obj_kind(uint32_t obj);
const char *trace_site_name(uint32_t site_id);

#endif
