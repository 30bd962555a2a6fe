/* SPDX-License-Identifier: MIT */
/* Quiescence: teardown and the end-of-execution oracles (see mm.c). */
#ifndef MMFUZZ_QUIESCE_H
#define MMFUZZ_QUIESCE_H

/* A sched_fn: run solo after the concurrent phase. */
void mm_quiesce(int agent, void *arg);

#endif
