/* SPDX-License-Identifier: MIT */
/*
 * Per-CPU TLBs, TLB flushes with shootdown IPIs, and the mmu_gather.
 *
 * The mmu_gather protocol, stated once (asm-generic/tlb.h): 1) unhook the page
 * (clear the PTE), 2) invalidate the TLB, 3) free the page.  Dirty file pages are
 * queued with a *delayed rmap*: their mapcount is dropped only after step 2, so
 * while any CPU may still hold a TLB entry for the page, folio_mkclean() can find
 * the mapping and must take its PTE lock (see core/memory.c zap_pte_range()).
 *
 * Models: arch/x86/mm/tlb.c flush_tlb_mm_range() (local flush + IPIs to the other
 * CPUs in mm_cpumask), mm/mmu_gather.c, and broadcast invalidation (arm64 TLBI,
 * x86 INVLPGB) with tlb_remove_table_sync_one() before page tables are freed
 * (tlb_flush_broadcast).  Leaves out: lazy TLB mode, PCID/ASIDs, RCU-deferred
 * table freeing (the sync IPI stands for it, as in tlb_remove_table_one()).
 */
#ifndef MMFUZZ_TLB_H
#define MMFUZZ_TLB_H

#include "mm.h"
#include "pgtable.h"

struct folio;

struct tlb_entry *tlb_lookup(int cpu, const struct mm_struct *mm, unsigned long addr);
/* For fuzzer feedback (a precursor): does any CPU's TLB hold a writable entry for @pfn? */
bool tlb_caches_pfn_writable(uint32_t pfn);
/*
 * Cache @pte for @addr.  A CONT entry (arm64 flavour) caches its whole block as
 * one entry, translating each page of the block to the matching frame of the
 * entry's; it takes CONT_PTES slots, and goes as a whole.
 */
void tlb_fill(int cpu, struct mm_struct *mm, unsigned long addr, pte_t pte, uint32_t gen);
/* Drop @e from its CPU's TLB (a block entry: all of it). */
void tlb_entry_invalidate(int cpu, struct tlb_entry *e);

/*
 * Reclaim's deferred flush (mm/rmap.c, TTU_BATCH_FLUSH): try_to_unmap() clears
 * PTEs and only records which CPUs to flush; try_to_unmap_flush() flushes them
 * all before any of the pages is freed.  Meanwhile mm->tlb_flush_batched tells
 * every other path that changes PTEs of the mm under the PTL to flush first
 * (flush_tlb_batched_pending(), 3ea277194daa).
 */
struct tlbflush_unmap_batch {
	uint32_t cpumask;
	bool flush_required;
};
void set_tlb_ubc_flush_pending(struct tlbflush_unmap_batch *ubc, struct mm_struct *mm);
void try_to_unmap_flush(struct tlbflush_unmap_batch *ubc);
/* Context: PTE lock held. */
void __flush_tlb_batched_pending(struct mm_struct *mm, struct sched_site *site);
/*
 * Start a walk that changes PTEs of [addr, end): lock the PTE table covering
 * @addr, flush a pending reclaim batch first (as every such walk must), and return
 * the PTE of @addr with *ptlp held; *nextp is where that table ends within @end.
 * NULL, nothing held, if there is no table.  Context: mmap_lock or the VMA lock.
 */
pte_t *__pte_range_lock(struct mm_struct *mm, unsigned long addr, unsigned long end,
			unsigned long *nextp, spinlock_t **ptlp, struct sched_site *site);
#define pte_range_lock(mm, addr, end, nextp, ptlp)                                                 \
	__pte_range_lock((mm), (addr), (end), (nextp), (ptlp), MM_SITE("pte_range_lock"))
#define flush_tlb_batched_pending(mm)                                                              \
	__flush_tlb_batched_pending((mm), MM_SITE("flush_tlb_batched_pending"))

/*
 * How a shootdown reaches the other CPUs.  Default: IPIs (x86 native), each
 * target invalidates at its next yield with interrupts on and the sender waits,
 * so the flush also waits out every interrupts-off walk (GUP-fast, the
 * hardware walker).  Broadcast (arm64 TLBI ...IS + DSB, x86 INVLPGB + TLBSYNC,
 * a paravirt flush by hypercall): the hardware invalidates the targets' TLBs at
 * once and the flush waits only for page-table walks in flight (mm_world.hw_walkers);
 * a GUP-fast walker with interrupts off is not waited for, so page tables are
 * freed only after tlb_remove_table_sync_one() (MMU_GATHER_RCU_TABLE_FREE).
 * Set per execution (a scenario's `tlb broadcast`).
 */
extern bool tlb_flush_broadcast;

/*
 * Models: tlb_remove_table_sync_one() (mm/mmu_gather.c): an IPI to every other
 * CPU, waited for; once each has taken it, none is still inside an
 * interrupts-off lockless walk that read a PMD before the caller cleared it.
 * Context: interrupts on, may wait.
 */
void tlb_remove_table_sync_one(void);

void __flush_tlb_range(struct mm_struct *mm, unsigned long start, unsigned long end,
		       struct sched_site *site);
#define flush_tlb_range(vma, start, end)                                                           \
	__flush_tlb_range((vma)->vm_mm, (start), (end), MM_SITE("flush_tlb_range"))
#define flush_tlb_page(vma, addr)                                                                  \
	__flush_tlb_range((vma)->vm_mm, (addr), (addr) + PAGE_SIZE, MM_SITE("flush_tlb_page"))
#define flush_tlb_mm(mm) __flush_tlb_range((mm), 0, TASK_SIZE, MM_SITE("flush_tlb_mm"))
/* Only this CPU's entry: a spurious fault after a permission upgrade. */
void flush_tlb_fix_spurious_fault(struct mm_struct *mm, unsigned long addr);

/*
 * Models: inc_tlb_flush_pending(), dec_tlb_flush_pending() and
 * mm_tlb_flush_nested() at @site (see tlb.c), and mm_tlb_flush_pending().
 * Context: mm_tlb_flush_pending() and pte_accessible() under the PTE lock of the
 * entry in question (the PTL orders them after the PTE change of a concurrent
 * change_protection()).
 */
void inc_tlb_flush_pending(struct mm_struct *mm, struct sched_site *site);
void dec_tlb_flush_pending(struct mm_struct *mm, struct sched_site *site);
bool mm_tlb_flush_nested(struct mm_struct *mm, struct sched_site *site);
bool mm_tlb_flush_pending(struct mm_struct *mm);
/*
 * Models: x86 pte_accessible(): may a CPU's TLB hold a translation from @pte?
 * Yes if the MMU can use it; for a protnone entry (the MMU cannot) only while an
 * mmu_gather of the mm is pending: change_protection() made it protnone and has
 * not flushed yet, so another CPU may still hold the old, accessible entry
 * (20841405940e).  Knob migrate-protnone-no-flush: never for protnone.
 */
bool pte_accessible(struct mm_struct *mm, pte_t pte);

/*
 * Models: ptep_clear_flush(): clear the PTE, flush the TLB if it may hold the
 * entry (pte_accessible()), return the old PTE.
 */
pte_t __ptep_clear_flush(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
			 struct sched_site *site);
#define ptep_clear_flush(vma, addr, p)                                                             \
	__ptep_clear_flush((vma), (addr), (p), MM_SITE("ptep_clear_flush"))

#define MMU_GATHER_BATCH 8

struct mmu_gather {
	struct mm_struct *mm;
	bool fullmm;
	bool delayed_rmap;	  /* some queued page still has its rmap */
	unsigned long start, end; /* range to flush; start >= end: nothing */
	int nr;
	struct {
		struct folio *folio;
		bool delay_rmap;
	} pages[MMU_GATHER_BATCH];
	bool freed_tables; /* page tables queued: flush even if no PTE was present */
	int nr_tables;
	unsigned tables[PTRS_PER_PMD];
};

void __tlb_gather_mmu(struct mmu_gather *tlb, struct mm_struct *mm, struct sched_site *site);
#define tlb_gather_mmu(tlb, mm) __tlb_gather_mmu((tlb), (mm), MM_SITE("tlb_gather_mmu"))
void tlb_gather_mmu_fullmm(struct mmu_gather *tlb, struct mm_struct *mm);
void tlb_remove_tlb_entry(struct mmu_gather *tlb, pte_t *ptep, unsigned long addr);
/* Queue a page for freeing after the flush; true if the batch is full (flush now). */
bool __tlb_remove_folio_pages(struct mmu_gather *tlb, struct folio *folio, bool delay_rmap);
/* Models: tlb_remove_pmd_tlb_entry(): the flush covers the huge PMD at @addr. */
void tlb_remove_pmd_tlb_entry(struct mmu_gather *tlb, unsigned long addr);
/* Queue PTE table @table (mapping from @addr) to be freed after the TLB flush. */
void tlb_remove_table(struct mmu_gather *tlb, unsigned table, unsigned long addr);
static inline bool tlb_delay_rmap(struct mmu_gather *tlb)
{
	(void)tlb;
	return true;
}

void __tlb_flush_mmu_tlbonly(struct mmu_gather *tlb, struct sched_site *site);
void __tlb_flush_rmaps(struct mmu_gather *tlb, struct vm_area_struct *vma, struct sched_site *site);
void __tlb_flush_mmu(struct mmu_gather *tlb, struct sched_site *site);
void __tlb_finish_mmu(struct mmu_gather *tlb, struct sched_site *site);
#define tlb_flush_mmu_tlbonly(tlb) __tlb_flush_mmu_tlbonly((tlb), MM_SITE("tlb_flush_mmu_tlbonly"))
#define tlb_flush_rmaps(tlb, vma)  __tlb_flush_rmaps((tlb), (vma), MM_SITE("tlb_flush_rmaps"))
#define tlb_flush_mmu(tlb)	   __tlb_flush_mmu((tlb), MM_SITE("tlb_flush_mmu"))
#define tlb_finish_mmu(tlb)	   __tlb_finish_mmu((tlb), MM_SITE("tlb_finish_mmu"))

#endif
