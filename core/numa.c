/* SPDX-License-Identifier: MIT */
/* NUMA balancing: the scan and the hinting fault (see numa.h). */
#include "numa.h"

#include <errno.h>

#include "huge_memory.h"
#include "memory.h"
#include "migrate.h"
#include "mmap.h"
#include "page.h"
#include "pgtable.h"
#include "tlb.h"
#include "vma.h"

/*
 * Models: change_huge_pmd() with MM_CP_PROT_NUMA: the huge PMD becomes protnone
 * in one atomic update (pmdp_invalidate_ad(): never none in between, or a racing
 * zap would skip it), its flush gathered.  Left alone: a PMD protnone already or
 * being split, a folio that may be pinned (prot_numa_skip()).
 * Context: mmap_lock held; takes the PMD lock.
 */
static void change_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmdp,
			    unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	spin_lock(&mm->page_table_lock);
	pmd_t old = pmdp_get(mm, pmdp);
	if (pmd_trans_huge(old) && pmd_hw_valid(old) &&
	    !folio_maybe_dma_pinned(pfn_folio(pmd_pfn(old)))) {
		/* a cmpxchg: the walker may set A/D meanwhile (at most twice) */
		while (
		    !pmdp_cmpxchg(mm, pmdp, old, (pmd_t){(old.val & ~_PAGE_RW) | _PAGE_PROTNONE}))
			old = pmdp_get(mm, pmdp);
		tlb_remove_pmd_tlb_entry(tlb, addr);
	}
	spin_unlock(&mm->page_table_lock);
}

int change_prot_numa(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	/* change_pmd_range(): a huge PMD the range covers whole is hinted as one,
	 * one it covers in part is split first */
	for (unsigned long addr = start, next; addr < end; addr = next) {
		next = pmd_addr_end(addr, end);
		pmd_t *pmdp = pmd_offset(mm, addr);
		if (pmd_trans_huge(pmdp_get(mm, pmdp))) {
			if (!(addr & ~PMD_MASK) && next - addr == PMD_SIZE) {
				change_huge_pmd(&tlb, vma, pmdp, addr);
				continue;
			}
			split_huge_pmd(vma, pmdp, addr);
		}
		change_protection(&tlb, vma, addr, next, MM_CP_PROT_NUMA);
	}
	tlb_finish_mmu(&tlb);
	return 0;
}

int task_numa_work(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if (start % PAGE_SIZE || !len || len > TASK_SIZE || start > TASK_SIZE - len)
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	mmap_read_lock(mm);
	for (unsigned long addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= end)
			break;
		unsigned long from = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long to = end < vma->vm_end ? end : vma->vm_end;
		/* shared libraries' text: read-only file pages are not worth hinting */
		bool ro_file = vma->vm_file && (vma->vm_flags & (VM_READ | VM_WRITE)) == VM_READ;
		if (vma_is_accessible(vma) && !ro_file)
			change_prot_numa(vma, from, to);
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return 0;
}

/*
 * Models: numa_rebuild_single_mapping(): the protnone entry becomes accessible
 * again (ptep_modify_prot_start/commit: an atomic clear, then the new value),
 * young, and writable where the write fault would not copy.
 * Context: the PTE lock held.
 */
static void numa_rebuild_single_mapping(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep,
					bool writable)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(ptep_lockptr(ptep));
	pte_t old = ptep_get_and_clear(mm, addr, ptep);
	VM_WARN_ON(!pte_protnone(old));
	pte_t pte = pte_mkyoung(pte_mkaccessible(old));
	if (writable)
		pte = pte_mkwrite(pte);
	set_pte_at(mm, addr, ptep, pte);
}

int do_numa_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr, pte_t orig_pte)
{
	struct mm_struct *mm = vma->vm_mm;
	vma_assert_locked(vma);
	VM_WARN_ON(!vma_is_accessible(vma));
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return 0;
	pte_t old = ptep_get(ptep);
	if (!pte_same(old, orig_pte)) {
		/* mapped again, zapped or migrated under our feet: the access retries */
		pte_unmap_unlock(ptep, ptl);
		return 0;
	}
	/* pte_modify(old, vm_page_prot): read-only in a writable VMA until a write
	 * fault, unless that fault would reuse the page anyway */
	bool writable =
	    (vma->vm_flags & VM_WRITE) && can_change_pte_writable(vma, ptep, pte_mkaccessible(old));
	struct folio *folio = page_folio(pfn_page(pte_pfn(old)));
	if (!folio_test_anon(folio) || folio_test_large(folio) || folio_test_ksm(folio))
		goto out_map; /* no migration the model could do: as NUMA_NO_NODE */
	/* migrate_misplaced_folio_prepare(): isolate it, under the PTL */
	folio_get(folio);
	pte_unmap_unlock(ptep, ptl);
	if (!migrate_misplaced_folio(folio))
		return 0; /* TNF_MIGRATED: the access finds the new page's entry */
	/* TNF_MIGRATE_FAIL: map it again, if nobody changed the entry meanwhile */
	ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return 0;
	if (!pte_same(ptep_get(ptep), orig_pte)) {
		pte_unmap_unlock(ptep, ptl);
		return 0;
	}
out_map:
	numa_rebuild_single_mapping(vma, addr, ptep, writable);
	pte_unmap_unlock(ptep, ptl);
	return 0;
}

int do_huge_pmd_numa_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr,
			  pmd_t orig_pmd)
{
	struct mm_struct *mm = vma->vm_mm;
	vma_assert_locked(vma);
	VM_WARN_ON(!vma_is_accessible(vma));
	spin_lock(&mm->page_table_lock);
	pmd_t pmd = pmdp_get(mm, pmdp);
	if (pmd_same(pmd, orig_pmd)) {
		/* no THP migration in the model: as NUMA_NO_NODE, map it again;
		 * writable where do_huge_pmd_wp_page() would reuse it */
		struct folio *folio = pfn_folio(pmd_pfn(pmd));
		bool writable = (vma->vm_flags & VM_WRITE) && PageAnonExclusive(folio);
		pmd = pmd_mkyoung((pmd_t){pmd.val & ~_PAGE_PROTNONE});
		if (writable)
			pmd = pmd_mkwrite(pmd);
		set_pmd_at(mm, addr & PMD_MASK, pmdp, pmd);
	}
	spin_unlock(&mm->page_table_lock);
	return 0;
}
