/* SPDX-License-Identifier: MIT */
/* File rmap and folio_mkclean() (see rmap.h). */
#include "rmap.h"

#include "page.h"
#include "pgtable.h"
#include "hw.h"
#include "tlb.h"

void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file;
	down_write(&mapping->i_mmap_rwsem);
	SCHED_ASSERT(mapping->nr_i_mmap <
		     (int)(sizeof(mapping->i_mmap) / sizeof(mapping->i_mmap[0])));
	mapping->i_mmap[mapping->nr_i_mmap++] = vma;
	up_write(&mapping->i_mmap_rwsem);
}

void vma_unlink_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file;
	down_write(&mapping->i_mmap_rwsem);
	for (int i = 0; i < mapping->nr_i_mmap; i++) {
		if (mapping->i_mmap[i] != vma)
			continue;
		mapping->i_mmap[i] = mapping->i_mmap[--mapping->nr_i_mmap];
		break;
	}
	up_write(&mapping->i_mmap_rwsem);
}

/*
 * Models: page_vma_mkclean_one() for one PTE: under the PTE lock, if the PTE maps
 * the folio and is writable or dirty, clear it with a flush, write-protect and
 * clean it, and set it back.  Context: i_mmap_rwsem held for read.
 */
static int page_mkclean_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl);
	if (!ptep)
		return 0;
	int cleaned = 0;
	pte_t entry = ptep_get(ptep);
	if (pte_present(entry) && pte_pfn(entry) == folio_pfn(folio) &&
	    (pte_dirty(entry) || pte_write(entry))) {
		entry = ptep_clear_flush(vma, addr, ptep);
		entry = pte_mkclean(pte_wrprotect(entry));
		set_pte_at(mm, addr, ptep, entry);
		cleaned = 1;
	}
	pte_unmap_unlock(ptep, ptl);
	return cleaned;
}

int folio_mkclean(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	/* An unmapped folio has nothing to clean: this is why zap must not drop the
	 * mapcount before its TLB flush (see zap_pte_range()). */
	if (!folio_mapped(folio)) {
		if (tlb_caches_pfn_writable(folio_pfn(folio)))
			sched_precursor(PRECURSOR_MKCLEAN_CACHED); /* fuzzer feedback */
		return 0;
	}
	struct address_space *mapping = folio->mapping;
	if (!mapping)
		return 0;
	int cleaned = 0;
	down_read(&mapping->i_mmap_rwsem);
	for (int i = 0; i < mapping->nr_i_mmap; i++) {

		/* stable: unlinking the VMA needs i_mmap_rwsem for write */
		struct vm_area_struct *vma = mapping->i_mmap[i];
		SCHED_ASSERT(vma->vm_allocated && vma->vm_file == mapping);
		if (folio->index < vma->vm_pgoff || folio->index >= vma->vm_pgoff + vma_pages(vma))
			continue;
		unsigned long addr = vma->vm_start + ((folio->index - vma->vm_pgoff) << PAGE_SHIFT);
		cleaned += page_mkclean_one(folio, vma, addr);
	}
	up_read(&mapping->i_mmap_rwsem);
	return cleaned;
}

/* One mapping of @folio at @addr: the lazyfree decision (see rmap.h). */
static bool try_to_unmap_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			     struct tlbflush_unmap_batch *ubc)
{
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl);
	if (!ptep)
		return true; /* not mapped here any more */
	pte_t pteval = ptep_get(ptep);
	if (!pte_present(pteval) || pte_pfn(pteval) != folio_pfn(folio)) {
		pte_unmap_unlock(ptep, ptl);
		return true;
	}
	folio->oracle |= FOLIO_ORACLE_TRANSIENT; /* oracle: until the decision */
	pteval = ptep_get_and_clear(mm, addr, ptep);
	set_tlb_ubc_flush_pending(ubc, mm); /* the flush comes after the whole batch */
	if (pte_dirty(pteval))
		folio_mark_dirty(folio);
	/* a reference beyond isolation + rmap (GUP) or a redirtied folio: keep it */
	int ref_count = folio_ref_count(folio);
	int map_count = folio_mapcount(folio);
	if (ref_count == 1 + map_count && !folio_test_dirty(folio)) {
		folio_remove_rmap_pte(folio, vma);
		folio_put(folio); /* the mapping's reference; isolation keeps it alive */
		folio->oracle &= (uint8_t)~FOLIO_ORACLE_TRANSIENT;
		pte_unmap_unlock(ptep, ptl);
		hw_shadow_forget(mm, addr); /* oracle bookkeeping: discarded */
		return true;
	}
	set_pte_at(mm, addr, ptep, pteval);
	folio->oracle &= (uint8_t)~FOLIO_ORACLE_TRANSIENT;
	folio_set_swapbacked(folio);
	pte_unmap_unlock(ptep, ptl);
	return false;
}

bool try_to_unmap(struct folio *folio, struct tlbflush_unmap_batch *ubc)
{
	VM_BUG_ON(!folio_test_locked(folio));
	struct mm_struct *mm = folio->anon_mm;
	bool unmapped = true;
	down_read(&mm->anon_vma_lock);
	/* the anon_vma's VMAs: those of its mm whose linear index range holds ours;
	 * stable while we hold the anon_vma lock (unlink takes it for write) */
	unsigned long index = 0;
	struct vm_area_struct *vma;
	while (unmapped && (vma = mt_find(&mm->mm_mt, &index, ULONG_MAX)) != NULL) {
		if (!vma->vm_file && folio->index >= vma->vm_pgoff &&
		    folio->index < vma->vm_pgoff + vma_pages(vma)) {
			unsigned long addr =
			    vma->vm_start + ((folio->index - vma->vm_pgoff) << PAGE_SHIFT);
			unmapped = try_to_unmap_one(folio, vma, addr, ubc);
		}
		if (!index)
			break;
	}
	up_read(&mm->anon_vma_lock);
	return unmapped;
}
