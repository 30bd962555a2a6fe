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
	/* post.c: the anonymous pages mapped in the range at entry (pfn + 1, gen),
	 * of a munmap() or MADV_DONTNEED: written for each page of the range at entry,
	 * read only for those (not cleared between calls) */
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
/* oracle_final_sync(): data.c's judgement of the disks, then accounting.c's. */
void data_final_sync(void);
void accounting_check(void);
/* data.c's part of an oracle snapshot (events.h); _diff: NULL or what differs. */
struct data_snap;
size_t data_snap_bytes(void);
void data_snap_save(struct data_snap *s, uint32_t frames);
void data_snap_restore(const struct data_snap *s);
const char *data_snap_diff(const struct data_snap *a, const struct data_snap *b);
void data_syscall_enter(const struct oracle_op *op);
void data_syscall_exit(const struct oracle_op *op, long ret);
/* Operation @op, which unmaps, discards or moves op->len bytes of its mm from
 * @start, enters or returns (a device's pin there stops speaking for the
 * process, unless the operation moves the page). */
void data_range_op(const struct oracle_op *op, unsigned long start, bool enter);
extern uint32_t data_view_overflows;

/* pte.c's state: who last wrote each PTE. */
struct pte_oracle_state {
	struct {
		const struct sched_site *site;
		int8_t agent;
	} writer[NR_PTE_TABLES * PTRS_PER_PTE];
};
void pte_oracle_reset(void);
/* walk.c: state within one walk or block rewrite, cleared per execution. */
void walk_oracle_reset(void);
void pte_oracle_snapshot(struct pte_oracle_state *to);
void pte_oracle_restore(const struct pte_oracle_state *from);

/*
 * post.c's per-process clocks: when a call that unmaps or moves each page last
 * entered or returned, and how many are in flight (MAP_FIXED is not one: it
 * replaces a mapping in one tree store); when each page last stopped carrying
 * VM_DONTCOPY (a fork that began before may have left it out all the same) and
 * last stopped being PROT_NONE (a load that began before may have faulted then).
 */
struct post_mm {
	uint32_t unmap_clock[ORACLE_OP_PAGES];
	uint32_t unmap_by[ORACLE_OP_PAGES]; /* that call's entry clock */
	uint8_t unmap_inflight[ORACLE_OP_PAGES];
	uint32_t dontfork_clock[ORACLE_OP_PAGES];
	uint32_t noaccess_clock[ORACLE_OP_PAGES];
};

/*
 * post.c's state.  A snapshot copies it whole; a restore copies the head and only
 * the post_mm of a process either side has written (@used: a post_mm never
 * written is all zeroes, as after post_reset()).
 */
struct post_state {
	/* when each CPU's TLB entry was last filled, and the generation (vm_gen: which
	 * mmap() made it) of the mapping it translated then */
	uint32_t fill_clock[NR_CPUS][TLB_ENTRIES];
	uint32_t fill_vma_gen[NR_CPUS][TLB_ENTRIES];
	/* the pages each process mapped by its own calls (bit per page) */
	uint64_t mapped[NR_MMS];
	/* the pages that may carry VM_DONTCOPY (a fork leaves them out of the child): set
	 * when a MADV_DONTFORK enters (or mremap moves one), cleared when a MADV_DOFORK or
	 * a new mapping returns with no MADV_DONTFORK of the process in flight */
	uint64_t dontfork[NR_MMS];
	int dontfork_inflight[NR_MMS];
	/* the pages that may be PROT_NONE (a load there may take SIGSEGV): set when an
	 * mprotect(PROT_NONE) enters, cleared when an mprotect(PROT_READ[|PROT_WRITE])
	 * returns with none of the process in flight.  A fork's child and an mremap's
	 * destination inherit them. */
	uint64_t noaccess[NR_MMS];
	int noaccess_inflight[NR_MMS];
	uint32_t used; /* bit per process: mm[] written since post_reset() */
	struct post_mm mm[NR_MMS];
};
void post_reset(void);
void post_snapshot(struct post_state *to);
/* The generation of the mapping of @addr in @mm (0: none); of the one TLB slot
 * @slot of @cpu translated when it was filled (oracle_tlb_fill()). */
uint32_t post_mapping_gen(const struct mm_struct *mm, unsigned long addr);
uint32_t post_fill_vma_gen(int cpu, int slot);
void post_restore(const struct post_state *from);
void post_syscall_enter(struct oracle_op *op);
void post_syscall_exit(const struct oracle_op *op, long ret);

#endif
