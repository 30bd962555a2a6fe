/* SPDX-License-Identifier: MIT */
/* mremap() with MREMAP_FIXED: move_ptes() and the flush before the PTE locks drop (see mmap.h). */
#include "mmap.h"

#include "gup.h"
#include "huge_memory.h"
#include "hw.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"
#include "vms.h"

/* ---- mremap ------------------------------------------------------------------------- */

/*
 * Models: move_ptes() for one stretch inside one old and one new PTE table: under
 * both PTLs, move each PTE; if any was present, flush the old range *before*
 * dropping the locks — once they are dropped the page can be zapped at its new
 * address and freed while another CPU still translates the old one
 * (CVE-2018-18281, eb66ae030829).  Context: mmap_lock held for write.
 */
static int move_ptes(struct vm_area_struct *vma, unsigned long old_addr, unsigned long old_end,
		     unsigned long new_addr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	unsigned long start = old_addr;
	pmd_t *old_pmdp = pmd_offset(mm, old_addr), *new_pmdp = pmd_offset(mm, new_addr);
	if (!pmd_table_present(pmdp_get(mm, old_pmdp)))
		return 0;
	if (pmd_none(pmdp_get(mm, new_pmdp)) && pte_alloc(mm, new_pmdp))
		return -ENOMEM;
	spinlock_t *old_ptl;
	pte_t *old_pte = pte_offset_map_lock(mm, old_pmdp, old_addr, &old_ptl);
	pmd_t new_pmd = pmdp_get(mm, new_pmdp);
	spinlock_t *new_ptl = pte_lockptr(new_pmd);
	pte_t *new_pte = pte_offset_map(new_pmd, new_addr);
	if (new_ptl != old_ptl)
		spin_lock(new_ptl);
	flush_tlb_batched_pending(mm);
	bool force_flush = false;
	for (; old_addr < old_end;
	     old_addr += PAGE_SIZE, new_addr += PAGE_SIZE, old_pte++, new_pte++) {
		if (pte_none(ptep_get(old_pte)))
			continue;
		pte_t pte = ptep_get_and_clear(mm, old_addr, old_pte);
		force_flush |= pte_present(pte);
		set_pte_at(mm, new_addr, new_pte, pte);
	}
	bool flush_late = knob_enabled(KNOB_MREMAP_FLUSH_AFTER_UNLOCK);
	if (force_flush && !flush_late)
		flush_tlb_range(vma, start, old_end);
	if (new_ptl != old_ptl)
		spin_unlock(new_ptl);
	pte_unmap_unlock(old_pte, old_ptl);
	if (force_flush && flush_late)
		flush_tlb_range(vma, start, old_end);
	return 0;
}

long do_mremap(struct mm_struct *mm, unsigned long old_addr, unsigned long pages,
	       unsigned long new_addr)
{
	unsigned long len = pages << PAGE_SHIFT;
	if (!pages || old_addr % PAGE_SIZE || new_addr % PAGE_SIZE || len > TASK_SIZE ||
	    old_addr > TASK_SIZE - len || new_addr > TASK_SIZE - len)
		return -EINVAL;
	if (old_addr < new_addr + len && new_addr < old_addr + len)
		return -EINVAL; /* overlapping ranges */
	mmap_write_lock_unreserved(mm, new_addr, new_addr + len);
	/* MREMAP_FIXED: whatever is mapped at the destination goes first */
	struct vma_munmap src;
	int ret = munmap_locked(mm, new_addr, new_addr + len);
	if (!ret)
		ret = vm_area_available() < 3 ? -ENOMEM
					      : vms_gather(mm, old_addr, old_addr + len, &src);
	if (!ret && (src.count != 1 || src.vmas[0]->vm_start != old_addr ||
		     src.vmas[0]->vm_end != old_addr + len))
		ret = -EFAULT; /* the source must be one mapping covering the range */
	if (ret) {
		mmap_write_unlock(mm);
		return ret;
	}
	struct vm_area_struct *old = src.vmas[0], *new = vm_area_alloc(mm);
	SCHED_ASSERT(new);
	new->vm_start = new_addr;
	new->vm_end = new_addr + len;
	new->vm_flags = old->vm_flags;
	new->vm_file = old->vm_file;
	new->vm_pgoff = old->vm_pgoff;
	new->vm_gen = vma_next_generation();
	split_huge_pmds(old, old_addr, old_addr + len); /* no move_huge_pmd() */
	anon_vma_clone(new, old); /* chained after the old VMA: walked after it */
	vma_link(mm, new);	  /* rmap finds the pages at their new address from now on */
	for (unsigned long off = 0; off < len;) {
		unsigned long o = old_addr + off, n = new_addr + off;
		unsigned long step = pmd_addr_end(o, old_addr + len) - o;
		if (pmd_addr_end(n, new_addr + len) - n < step)
			step = pmd_addr_end(n, new_addr + len) - n;
		SCHED_ASSERT(move_ptes(old, o, o + step, n) ==
			     0); /* NR_PTE_TABLES: never -ENOMEM */
		off += step;
	}
	/* the old range is empty now: unmap it as munmap would, still write-locked;
	 * the new VMA may share a page table with it */
	vms_set_bounds(mm, &src);
	vma_mark_detached(old, true);
	/* vms_gather() preallocated (mt_preallocate) */
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, old_addr, old_addr + len - 1, NULL) == 0);
	unmap_region(mm, &src);
	vm_area_free(old);
	mmap_write_unlock(mm);
	return (long)new_addr;
}
