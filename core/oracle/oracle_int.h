/* SPDX-License-Identifier: MIT */
/*
 * Inside the oracle layer: the operation in flight per agent, and the parts'
 * entry points (layer.c dispatches the events of events.h to data.c and post.c).
 * Nothing outside core/oracle/ includes this.
 */
#ifndef MMFUZZ_ORACLE_INT_H
#define MMFUZZ_ORACLE_INT_H

#include "../mm.h"
#include "events.h"

#define ORACLE_OP_PAGES (TASK_SIZE >> PAGE_SHIFT)

/* An operation in flight: what it was asked, when it began, what it found. */
struct oracle_op {
	bool active;
	enum oracle_syscall kind;
	int agent;
	int mm;
	unsigned long start, len, arg;
	uint32_t enter_clock;
	/* post.c: the anonymous pages mapped in the range at entry (pfn + 1, gen) */
	uint32_t anon_pfn[ORACLE_OP_PAGES];
	uint32_t anon_gen[ORACLE_OP_PAGES];
};

/* The layer's clock: one tick per event that orders (stores, system calls). */
uint32_t oracle_clock(void);
/* Who last wrote the PTE of @addr in @mm (the other party of a report), and
 * their agent bit in *@mask; NULL if nobody or no table. */
const struct sched_site *oracle_pte_writer(const struct mm_struct *mm, unsigned long addr,
					   uint32_t *mask);
/* When @agent's operation in flight began (0: none). */
uint32_t oracle_op_enter_clock(int agent);

void data_reset(void);
void data_syscall_enter(const struct oracle_op *op);
void data_syscall_exit(const struct oracle_op *op, long ret);
/* Operation @op, which unmaps, discards or moves op->len bytes of its mm from
 * @start, enters or returns (a device's pin there stops speaking for the
 * process, unless the operation moves the page). */
void data_range_op(const struct oracle_op *op, unsigned long start, bool enter);
extern uint32_t data_view_overflows;

void pte_oracle_reset(void);

void post_reset(void);
void post_syscall_enter(struct oracle_op *op);
void post_syscall_exit(const struct oracle_op *op, long ret);

#endif
