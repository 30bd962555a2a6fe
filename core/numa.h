/* SPDX-License-Identifier: MIT */
/*
 * PROT_NONE entries and NUMA balancing: the scan that makes PTEs protnone, the
 * hinting fault that maps them again and may migrate the page first.
 *
 * A protnone PTE (pgtable.h pte_protnone()) is mapped for the kernel
 * (pte_present(): rmap, zap, fork, migration, reclaim treat it as any mapping)
 * and not for the MMU: the hardware walker faults on it, GUP-fast refuses it,
 * GUP's slow path faults on it (FOLL_HONOR_NUMA_FAULT).  In a PROT_NONE VMA (no
 * VM_READ) that fault is SIGSEGV (access_error()) and GUP gets -EFAULT; in an
 * accessible VMA it is a NUMA hinting fault (do_numa_page()).  Making entries
 * protnone defers the TLB flush to the end of the mmu_gather, so until then
 * another CPU may still use the old translation: mm->tlb_flush_pending says so,
 * and pte_accessible() (tlb.h) lets a clearer of a protnone entry know it must
 * flush (20841405940e).
 *
 * Models: mm/mprotect.c change_protection() with MM_CP_PROT_NUMA, mm/mempolicy.c
 * change_prot_numa(), kernel/sched/fair.c task_numa_work() (one scan pass over a
 * range, run as an operation, as khugepaged is), mm/memory.c do_numa_page() and
 * numa_rebuild_single_mapping(), mm/migrate.c migrate_misplaced_folio(),
 * mm/huge_memory.c change_huge_pmd() and do_huge_pmd_numa_page() for PMD-mapped
 * THPs (a huge PMD the scan covers whole becomes protnone; one it covers in part
 * is split first, its PTEs hinted).
 * Leaves out: nodes and the placement policy (mpol_misplaced(), the cpupid
 * filter): the model has no nodes and every hinting fault finds its page
 * misplaced, so it migrates whatever the model's migration can move (small
 * anonymous folios) and maps the rest again in place (THPs too: no THP
 * migration); the scan's rate limiting and VMA skipping heuristics other than
 * inaccessible and read-only file VMAs; FOLL_FORCE access to PROT_NONE VMAs
 * (ptrace may read and COW-write them; here GUP refuses them).  PROT_NONE stays
 * at the PTE level: mprotect() splits huge PMDs first, and khugepaged and
 * MADV_COLLAPSE leave PROT_NONE VMAs alone (the kernel's collapse would map a
 * protnone PMD).
 */
#ifndef MMFUZZ_NUMA_H
#define MMFUZZ_NUMA_H

#include "mm.h"
#include "pgtable.h"

struct mmu_gather;

/* change_protection()'s cp_flags */
#define MM_CP_TRY_CHANGE_WRITABLE 0x1u /* mprotect(PROT_WRITE): upgrade what may be */
#define MM_CP_PROT_NUMA		  0x2u /* NUMA hinting: make present PTEs protnone */

/* Models: vma_is_accessible(): may anything access the VMA at all? */
static inline bool vma_is_accessible(const struct vm_area_struct *vma)
{
	return vma->vm_flags & (VM_READ | VM_WRITE);
}

/*
 * Models: change_protection() (mprotect.c): rewrite the present PTEs of
 * [start, end) of @vma to its vm_flags (or protnone, MM_CP_PROT_NUMA), the
 * flush gathered in @tlb.  Context: mmap_lock held for write; for read with
 * MM_CP_PROT_NUMA.
 */
void change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end, unsigned int cp_flags);
/* Models: can_change_pte_writable() (mprotect.c).  Context: the PTE lock held. */
bool can_change_pte_writable(struct vm_area_struct *vma, pte_t *ptep, pte_t pte);

/*
 * Models: change_prot_numa(): make the present PTEs of [start, end) of @vma
 * protnone, one mmu_gather around it (tlb_flush_pending raised from before the
 * first PTE changes until after the flush); a huge PMD the range covers whole
 * becomes protnone as one (change_huge_pmd()), one it covers in part is split
 * first.  Returns 0.  Context: mmap_lock held for read.
 */
int change_prot_numa(struct vm_area_struct *vma, unsigned long start, unsigned long end);

/*
 * Models: task_numa_work() for [start, start + len) of @mm: under mmap_lock for
 * read, change_prot_numa() on each accessible VMA of the range that is not a
 * read-only file mapping.  The `numa-scan` operation.  Returns 0 or -EINVAL.
 */
int task_numa_work(struct mm_struct *mm, unsigned long start, unsigned long len);

/*
 * Models: do_numa_page(): the hinting fault on the protnone entry @orig_pte at
 * @addr of @vma (an accessible VMA).  Under the PTL, if the entry is still
 * @orig_pte: a small anonymous folio is isolated and migrated
 * (migrate_misplaced_folio(), the PTL dropped); on success the access retries
 * through the new page's entry.  Anything else, or a failed migration whose
 * entry is still @orig_pte, is mapped again in place
 * (numa_rebuild_single_mapping(): accessible, young, writable if
 * can_change_pte_writable() allows).  Returns 0: the access retries.
 * Context: mmap_lock or the VMA lock held, no PTL.
 */
int do_numa_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr, pte_t orig_pte);

/*
 * Models: do_huge_pmd_numa_page(): the hinting fault on the protnone huge PMD
 * @orig_pmd.  Under the PMD lock, if it is still @orig_pmd, it is mapped again
 * (young, writable where the write fault would reuse the folio): the model has no
 * THP migration.  Returns 0: the access retries.
 * Context: mmap_lock or the VMA lock held.
 */
int do_huge_pmd_numa_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr,
			  pmd_t orig_pmd);

#endif
