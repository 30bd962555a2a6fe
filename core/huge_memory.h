/* SPDX-License-Identifier: MIT */
/*
 * Transparent huge pages mapped by a PMD (anonymous only), the protocol stated
 * once (mm/huge_memory.c).  A huge PMD is a leaf mapping a PMD-sized folio
 * (HPAGE_PMD_NR pages); it keeps a deposited PTE table for the day it is split.
 * Every change to a huge PMD happens under the PMD lock (mm->page_table_lock).
 *   - fault: an anonymous VMA with VM_HUGEPAGE covering the aligned PMD range
 *     gets a new PMD-sized folio, mapped whole, exclusive (RMAP_EXCLUSIVE);
 *   - write fault on a read-only huge PMD: reuse if PageAnonExclusive, or if
 *     under the folio lock the refcount is the PMD's alone (the folio becomes
 *     exclusive); else split and COW the one page;
 *   - zap of the whole range: clear the PMD, free the deposit, queue the folio
 *     for freeing after the TLB flush;
 *   - MADV_FREE of the whole range: the folio's dirty flag cleared, the PMD
 *     rewritten old and clean through pmdp_invalidate() (never none), the folio
 *     lazyfree; reclaim discards it whole while clean and unpinned
 *     (unmap_huge_pmd_locked()), else splits it and tries the PTEs;
 *   - anything partial (zap, mprotect, madvise, mremap) splits first:
 *     __split_huge_pmd() invalidates the PMD and flushes (pmdp_invalidate: no CPU
 *     keeps the huge translation), fills the deposited table with one PTE per
 *     page and publishes it; the folio stays large, PTE-mapped;
 *   - fork shares the folio (write-protected in both) unless it may be pinned:
 *     then it splits and copies page by page;
 *   - the hardware walker and GUP-fast read the PMD locklessly and use the leaf.
 *
 * Models: do_huge_pmd_anonymous_page(), do_huge_pmd_wp_page(), zap_huge_pmd(),
 * __split_huge_pmd_locked(), pmdp_invalidate(), madvise_free_huge_pmd(),
 * unmap_huge_pmd_locked(), copy_huge_pmd(), follow_huge_pmd().  Leaves out:
 * file and shmem THP, the huge zero page, change_huge_pmd()/move_huge_pmd()
 * (mprotect and mremap split instead; NUMA hinting's change_huge_pmd() is in
 * numa.c), deferred split, THP migration.  A protnone huge PMD (NUMA hinting)
 * is huge to software, not to the MMU (pmd_hw_valid()): the walker and GUP-fast
 * fault, follow_huge_pmd() faults, a split gives protnone PTEs.
 */
#ifndef MMFUZZ_HUGE_MEMORY_H
#define MMFUZZ_HUGE_MEMORY_H

#include "mm.h"
#include "pgtable.h"

struct mmu_gather;
struct folio;

#define VM_FAULT_FALLBACK 0x800

/* May a fault at @addr map a PMD-sized folio in @vma? */
bool thp_vma_allowable(const struct vm_area_struct *vma, unsigned long addr);

/* Models: do_huge_pmd_anonymous_page().  0, VM_FAULT_OOM or VM_FAULT_FALLBACK. */
int do_huge_pmd_anonymous_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr,
			       bool write);

/* Models: do_huge_pmd_wp_page() (@unshare: FAULT_FLAG_UNSHARE). */
int do_huge_pmd_wp_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr, pmd_t orig_pmd,
			bool unshare);

/* Models: __split_huge_pmd(): if *pmdp is huge, split it.  Context: mmap_lock or VMA lock. */
void split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr);
/* Models: split_huge_pmd_locked() (rmap walkers, TTU_SPLIT_HUGE_PMD).  Context: PMD lock. */
void split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr);
/* Split every huge PMD of @vma that [start, end) covers only in part, or at all. */
void split_huge_pmds(struct vm_area_struct *vma, unsigned long start, unsigned long end);

/*
 * Models: pmdp_invalidate(): the huge PMD at @haddr made invalid to the MMU (still
 * huge to software) in one atomic exchange, the TLB flushed; returns the old
 * value with every A/D bit the walker set up to the exchange (knob
 * pmdp-invalidate-lose-dirty: a read and a plain store, as before d52605d7cb30).
 * Context: PMD lock held.
 */
pmd_t pmdp_invalidate(struct vm_area_struct *vma, unsigned long haddr, pmd_t *pmdp);

/* Models: madvise_free_huge_pmd() for a range covering the huge PMD whole (see
 * huge_memory.c).  false: not huge any more, walk the PTEs. */
bool madvise_free_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmdp,
			   unsigned long addr, unsigned long next);

/*
 * Models: unmap_huge_pmd_locked() (try_to_unmap_one() on a PMD-mapped folio, 6.12):
 * a clean lazyfree anon THP with no extra reference is unmapped whole and its
 * mapping reference dropped; true if so.  Context: PMD lock and folio lock held.
 */
bool unmap_huge_pmd_locked(struct vm_area_struct *vma, unsigned long addr, pmd_t *pmdp,
			   struct folio *folio);

/* Models: zap_huge_pmd().  false: not huge (any more): zap the PTEs. */
bool zap_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmdp,
		  unsigned long addr);

/* Models: copy_huge_pmd() (fork).  0 done, -EAGAIN: copy the PTEs, -ENOMEM. */
int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  unsigned long addr);

/*
 * Models: follow_huge_pmd() (GUP slow path): the page at @addr, its folio
 * grabbed with @flags, or NULL (*unshare: an unshare fault first, *not_huge: no
 * huge PMD there).  Context: mmap_lock held.
 */
struct folio *follow_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr,
			      unsigned int flags, bool *unshare, bool *not_huge);

#endif
