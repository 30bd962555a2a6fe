/* SPDX-License-Identifier: MIT */
/* madvise(MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE, MADV_COLLAPSE, MADV_DONTFORK,
 * MADV_DOFORK, MADV_PAGEOUT, MADV_MERGEABLE, MADV_UNMERGEABLE) (see mmap.h, ksm.h). */
#include "mmap.h"

#include "hw.h"
#include "khugepaged.h"
#include "ksm.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"
#include "vms.h"
#include "vmscan.h"

/* ---- madvise ------------------------------------------------------------------------ */

/*
 * Models: madvise_vma_behavior() for the advice that only changes vm_flags: the
 * flags a VMA gets.  MADV_DONTFORK sets VM_DONTCOPY (dup_mmap() leaves the VMA
 * out of the child), MADV_DOFORK clears it.
 */
static uint32_t madvise_new_flags(uint32_t flags, int advice)
{
	switch (advice) {
	case MADV_HUGEPAGE:
		return flags | VM_HUGEPAGE;
	case MADV_DONTFORK:
		return flags | VM_DONTCOPY;
	case MADV_DOFORK:
		return flags & ~VM_DONTCOPY;
	case MADV_MERGEABLE: /* ksm_madvise(): shared mappings are not KSM's */
		return flags & VM_SHARED ? flags : flags | VM_MERGEABLE;
	case MADV_UNMERGEABLE:
		return flags & ~VM_MERGEABLE;
	}
	SCHED_ASSERT(!"advice that changes no vm_flags");
	return flags;
}

/*
 * Models: madvise_walk_vmas() -> madvise_vma_behavior() -> madvise_update_vma()
 * for MADV_HUGEPAGE, MADV_DONTFORK and MADV_DOFORK, under mmap_lock for write
 * (madvise_need_mmap_write()): the part of a VMA whose flags change merges into
 * a mergeable neighbour, or is cut out of it (vma_modify_flags()); a VMA whose
 * flags stay is left whole.  Holes are skipped, and reported (-ENOMEM) once the rest is done.
 */
static int madvise_update_vmas(struct mm_struct *mm, unsigned long start, unsigned long end,
			       int advice)
{
	int unmapped_error = 0, error = 0;
	mmap_write_lock(mm);
	while (start < end) {
		struct vm_area_struct *vma = find_vma(mm, start);
		if (!vma || vma->vm_start >= end) {
			unmapped_error = -ENOMEM;
			break;
		}
		if (vma->vm_start > start) {
			unmapped_error = -ENOMEM;
			start = vma->vm_start;
		}
		unsigned long stop = end < vma->vm_end ? end : vma->vm_end;
		uint32_t new_flags = madvise_new_flags(vma->vm_flags, advice);
		/* ksm_madvise(): the KSM pages go before the flag does */
		if (advice == MADV_UNMERGEABLE && (vma->vm_flags & VM_MERGEABLE)) {
			error = unmerge_ksm_pages(vma, start, stop);
			if (error)
				break;
		}
		if (new_flags != vma->vm_flags && !vma_modify_flags(vma, start, stop, new_flags)) {
			error = -ENOMEM;
			break;
		}
		start = stop;
	}
	mmap_write_unlock(mm);
	return error ? error : unmapped_error;
}

/* Models: madvise_dontneed_free() -> zap_page_range_single() for each VMA. */
int do_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int advice)
{
	if (addr % PAGE_SIZE ||
	    (advice != MADV_DONTNEED && advice != MADV_FREE && advice != MADV_HUGEPAGE &&
	     advice != MADV_COLLAPSE && advice != MADV_DONTFORK && advice != MADV_DOFORK &&
	     advice != MADV_PAGEOUT && advice != MADV_MERGEABLE && advice != MADV_UNMERGEABLE))
		return -EINVAL;
	if (advice == MADV_PAGEOUT)
		return madvise_pageout(mm, addr, addr + len);
	if (advice == MADV_HUGEPAGE || advice == MADV_DONTFORK || advice == MADV_DOFORK ||
	    advice == MADV_MERGEABLE || advice == MADV_UNMERGEABLE)
		return madvise_update_vmas(mm, addr, addr + len, advice);
	if (advice == MADV_COLLAPSE)
		return madvise_collapse(mm, addr, addr + len);
	unsigned long end = addr + len;
	int ret = 0;
	mmap_read_lock(mm);
	while (addr < end) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= end) {
			ret = -ENOMEM; /* unmapped hole */
			break;
		}
		if (vma->vm_start > addr)
			ret = -ENOMEM;
		unsigned long start = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long stop = end < vma->vm_end ? end : vma->vm_end;
		if (advice == MADV_DONTNEED)
			zap_page_range_single(vma, start, stop - start);
		else if (!vma->vm_file)
			madvise_free_single_vma(vma, start, stop);
		else
			ret = -EINVAL; /* MADV_FREE: anonymous memory only */
		addr = stop;
	}
	mmap_read_unlock(mm);
	return ret;
}

/*
 * Models: madvise_cold_or_pageout_pte_range() for one PTE table of an anonymous
 * VMA, pageout: the small anon folios on the LRU mapped only here, each with an
 * isolation reference (folio_isolate_lru()).  Large folios (a split first) and
 * PMD-mapped THPs are left out.  Context: mmap_lock held for read.
 */
static void madvise_pageout_ptes(struct vm_area_struct *vma, unsigned long start, unsigned long end,
				 struct folio **list, int *nr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	for (unsigned long addr = start; addr < end;) {
		unsigned long next;
		spinlock_t *ptl;
		pte_t *pte = pte_range_lock(mm, addr, end, &next, &ptl);
		if (!pte) {
			addr = next;
			continue;
		}
		for (; addr < next; addr += PAGE_SIZE, pte++) {
			pte_t ptent = ptep_get(pte);
			if (!pte_present(ptent))
				continue;
			struct folio *folio = pfn_folio(pte_pfn(ptent));
			/* a KSM folio mapped only here goes too: try_to_unmap() finds
			 * its mapping by rmap_walk_ksm() */
			if (!folio_test_anon(folio) || folio_test_large(folio))
				continue;
			if (!__folio_test_flag(folio, PG_lru, MM_SITE("folio_test_lru")) ||
			    folio_mapcount(folio) != 1)
				continue;
			SCHED_ASSERT(*nr < NR_FRAMES);
			folio_get(folio); /* isolated: the PTL keeps it alive until here */
			list[(*nr)++] = folio;
		}
		pte_unmap_unlock(pte, ptl);
	}
}

int madvise_pageout(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct folio *list[NR_FRAMES];
	int nr = 0, ret = 0;
	mmap_read_lock(mm);
	for (unsigned long addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start >= end) {
			ret = -ENOMEM;
			break;
		}
		if (vma->vm_start > addr)
			ret = -ENOMEM;
		unsigned long from = addr > vma->vm_start ? addr : vma->vm_start;
		unsigned long stop = end < vma->vm_end ? end : vma->vm_end;
		if (!vma->vm_file && !(vma->vm_flags & VM_SHARED))
			madvise_pageout_ptes(vma, from, stop, list, &nr);
		addr = stop;
	}
	(void)reclaim_pages(list, nr);
	mmap_read_unlock(mm);
	return ret;
}
