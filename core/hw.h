/* SPDX-License-Identifier: MIT */
/*
 * The hardware side of a CPU: user loads and stores through its TLB, the page
 * table walker that fills it (setting accessed/dirty atomically in the PTE), and
 * the page-fault entry.  Also the shadow memory the `lost-write` oracle compares
 * against: the last value stored to every word of every file page and of every
 * process's private memory.
 *
 * Models: an x86-64 MMU (a store through a TLB entry that is not yet dirty re-walks
 * to set the PTE's dirty bit, and faults if the PTE no longer allows it), and
 * arch/x86/mm/fault.c do_user_addr_fault().  Leaves out: arm64 contpte A/D (issue
 * 4), TLB eviction choices by the schedule, prefetch, speculative walks.
 */
#ifndef MMFUZZ_HW_H
#define MMFUZZ_HW_H

#include <errno.h>

#include "mm.h"

/* A user access by @cpu in @mm.  Returns 0, or -EFAULT (SIGSEGV) / -ENOMEM. */
int hw_load(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t *val);
int hw_store(int cpu, struct mm_struct *mm, unsigned long addr, uint64_t val);

/* Agents that act only as a device (DMA through a pin): not CPUs, no TLB, no IPIs. */
extern uint32_t hw_device_agents;
/* CPUs whose page-table walker is in the middle of a walk (a broadcast flush waits). */
extern uint32_t hw_walkers;

/* Shadow memory for the lost-write oracle. */
struct hw_shadow_word {
	bool valid;
	uint64_t value;
	uint32_t step;
	int agent;
	const struct sched_site *site;
};
extern struct hw_shadow_word hw_file_shadow[NR_FILES][FILE_PAGES][MM_WORDS_PER_PAGE];
void hw_reset(void);
/* Oracle bookkeeping: the private page at @addr was discarded (zap of an anon or
 * COWed page): its content is no longer defined by earlier stores. */
void hw_shadow_forget(struct mm_struct *mm, unsigned long addr);
/*
 * The oracles of a data access to @word of @page, which @mm has at @addr, by
 * @agent at @site (a CPU through its TLB, or a device through a pin): record a
 * store, check a load (`isolation`, then `lost-write` — `pin-coherence` when a
 * device is one of the two parties).  @tracked: the shadow of @addr applies
 * (private memory: the page is the one mapped there).
 */
void hw_note_store(struct mm_struct *mm, unsigned long addr, struct folio *page, int word,
		   uint64_t val, int agent, const struct sched_site *site, bool tracked);
/*
 * May an access to the private page @page at @addr of @mm be compared with (or
 * recorded in) the shadow?  Only while the page table maps it there, or clears it
 * for a moment (TRANSIENT); otherwise the page becomes UNTRACKED for good.
 */
bool hw_private_page_tracked(struct mm_struct *mm, unsigned long addr, struct folio *page);
void hw_check_load(struct mm_struct *mm, unsigned long addr, struct folio *page, int word,
		   uint64_t val, int agent, const struct sched_site *site, bool tracked);
extern struct sched_site hw_site_dma_read, hw_site_dma_write;

/* Oracle bookkeeping: fork copied @parent's private memory into @child, except the
 * pages in @skip (bit per page), copied earlier word by word with hw_shadow_copy_word(). */
void hw_shadow_fork(struct mm_struct *parent, struct mm_struct *child, uint64_t skip);
void hw_shadow_copy_word(struct mm_struct *parent, struct mm_struct *child, unsigned long addr,
			 int word);
/* Oracle bookkeeping: mremap moved the private page at @from to @to. */
void hw_shadow_move(struct mm_struct *mm, unsigned long from, unsigned long to);

#endif
