/* SPDX-License-Identifier: MIT */
/* Quiescence: teardown and the end-of-execution oracles (see mm.c). */
#ifndef MMFUZZ_QUIESCE_H
#define MMFUZZ_QUIESCE_H

#include <stdbool.h>

struct mm_struct;

/* A sched_fn: run solo after the concurrent phase. */
void mm_quiesce(int agent, void *arg);

/*
 * A live process no operation ever gave an address space (no VMA ever in its
 * tree, no page table, no CPU that may cache a translation of it, no gather in
 * flight): mm_quiesce() marks it dead without an exit_mmap(), which would find
 * nothing to tear down.
 */
bool mm_untouched(const struct mm_struct *mm);

#endif
