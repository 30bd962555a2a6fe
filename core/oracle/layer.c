/* SPDX-License-Identifier: MIT */
/*
 * The oracle layer's front (events.h): reset, the setup snapshot, the system-call
 * events, which every part of the layer sees, and quiescence (data.c's disks, then
 * accounting.c).  An operation's record lives here, per agent, from its entry to
 * its return.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../pgtable.h"
#include "oracle_int.h"

static struct oracle_op layer_ops[SCHED_OP_AGENTS_MAX];

void oracle_reset(void)
{
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++)
		layer_ops[a].active = false; /* a record is written whole at entry */
	data_reset();
	post_reset();
	pte_oracle_reset();
	walk_oracle_reset();
}

struct oracle_snapshot {
	struct post_state post;
	struct pte_oracle_state pte;
	struct data_snap *data; /* its size is data.c's */
};

struct oracle_snapshot *oracle_snapshot_alloc(void)
{
	struct oracle_snapshot *s = calloc(1, sizeof(*s));
	if (s && !(s->data = calloc(1, data_snap_bytes()))) {
		free(s);
		s = NULL;
	}
	return s;
}

void oracle_snapshot_free(struct oracle_snapshot *s)
{
	if (s)
		free(s->data);
	free(s);
}

void oracle_snapshot_save(struct oracle_snapshot *s, uint32_t frames)
{
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++)
		SCHED_ASSERT(!layer_ops[a].active);
	post_snapshot(&s->post);
	pte_oracle_snapshot(&s->pte);
	data_snap_save(s->data, frames);
}

void oracle_snapshot_restore(const struct oracle_snapshot *s)
{
	for (int a = 0; a < SCHED_OP_AGENTS_MAX; a++)
		layer_ops[a].active = false;
	post_restore(&s->post);
	pte_oracle_restore(&s->pte);
	data_snap_restore(s->data);
	walk_oracle_reset(); /* nothing walks or rewrites at a setup's end */
}

bool oracle_snapshot_equal(const struct oracle_snapshot *a, const struct oracle_snapshot *b,
			   char *what, size_t what_bytes)
{
	const char *diff = memcmp(&a->post, &b->post, sizeof(a->post)) ? "post: pages and calls"
			   : memcmp(&a->pte, &b->pte, sizeof(a->pte))
			       ? "pte: the last writers"
			       : data_snap_diff(a->data, b->data);
	if (diff)
		snprintf(what, what_bytes, "oracle layer, %s", diff);
	return !diff;
}

void oracle_final_sync(void)
{
	data_final_sync();
	if (!sched_stopped())
		accounting_check();
}

uint32_t oracle_op_enter_clock(int agent)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_OP_AGENTS_MAX);
	return layer_ops[agent].active ? layer_ops[agent].enter_clock : 0;
}

/* Does @kind (with @arg) unmap, discard or move the pages of its range? */
static bool unmaps_range(enum oracle_syscall kind, unsigned long arg)
{
	return (kind == OSYS_MMAP && arg) || kind == OSYS_MUNMAP || kind == OSYS_MADV_DONTNEED ||
	       kind == OSYS_MREMAP || kind == OSYS_EXIT;
}

void oracle_syscall_enter(int agent, enum oracle_syscall kind, struct mm_struct *mm,
			  unsigned long start, unsigned long len, unsigned long arg)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_OP_AGENTS_MAX && !layer_ops[agent].active);
	struct oracle_op *op = &layer_ops[agent];
	/* field by field: the per-page arrays are written for the range before they
	 * are read (post_syscall_enter()), 512 bytes a call not to clear */
	op->active = true;
	op->kind = kind;
	op->agent = agent;
	op->mm = mm->id;
	op->start = kind == OSYS_EXIT ? 0 : start;
	op->len = kind == OSYS_EXIT ? TASK_SIZE : len;
	op->arg = arg;
	op->enter_clock = oracle_clock();
	if (unmaps_range(kind, arg))
		data_range_op(op, op->start, true);
	if (kind == OSYS_MREMAP)
		data_range_op(op, op->arg, true);
	data_syscall_enter(op);
	post_syscall_enter(op);
}

void oracle_syscall_exit(int agent, long ret)
{
	SCHED_ASSERT(agent >= 0 && agent < SCHED_OP_AGENTS_MAX && layer_ops[agent].active);
	struct oracle_op *op = &layer_ops[agent];
	if (unmaps_range(op->kind, op->arg))
		data_range_op(op, op->start, false);
	if (op->kind == OSYS_MREMAP)
		data_range_op(op, op->arg, false);
	data_syscall_exit(op, ret);
	post_syscall_exit(op, ret);
	op->active = false;
}

const struct sched_site *oracle_pte_writer(const struct mm_struct *mm, unsigned long addr,
					   uint32_t *mask)
{
	pmd_t pmd = mm->pmd[pmd_index(addr)];
	*mask = 0;
	if (!pmd_table_present(pmd))
		return NULL;
	int agent;
	const struct sched_site *site =
	    oracle_pte_last_writer(pte_index_of(pte_offset_map(pmd, addr)), &agent);
	*mask = agent >= 0 ? 1u << agent : 0;
	return site;
}
