/* SPDX-License-Identifier: MIT */
/* mprotect(): change_protection() and the flush before mmap_lock drops (see mmap.h). */
#include "mmap.h"

#include "huge_memory.h"
#include "hw.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"
#include "vms.h"

/* ---- mprotect ----------------------------------------------------------------------- */

/*
 * Models: change_pte_range() for one VMA part: under the PTL, clear each present
 * writable PTE and set it back write-protected (ptep_modify_prot_start/commit),
 * gathering the range for the flush.
 */
static void change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma,
			      unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	for (unsigned long addr = start; addr < end;) {
		unsigned long next;
		spinlock_t *ptl;
		pte_t *pte = pte_range_lock(mm, addr, end, &next, &ptl);
		if (!pte) {
			addr = next;
			continue;
		}
		for (; addr < next; addr += PAGE_SIZE, pte++) {
			pte_t old = ptep_get(pte);
			if (is_writable_migration_entry(old)) {
				/* the PTE that replaces it after the migration must be read-only */
				set_pte_at(mm, addr, pte,
					   make_readable_exclusive_migration_entry(old));
				continue;
			}
			if (!pte_present(old) || !pte_write(old))
				continue;
			old = ptep_get_and_clear(mm, addr, pte);
			set_pte_at(mm, addr, pte, pte_wrprotect(old));
			tlb_remove_tlb_entry(tlb, pte, addr);
		}
		pte_unmap_unlock(pte, ptl);
	}
}

int do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, bool write)
{
	if (start % PAGE_SIZE || !len || len > TASK_SIZE || start > TASK_SIZE - len)
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	mmap_write_lock(mm);
	struct vma_munmap vms;
	int ret = vm_area_available() < 2 ? -ENOMEM : vms_gather(mm, start, end, &vms);
	for (int i = 0; !ret && i < vms.count; i++) {
		/* every page of the range must be mapped */
		unsigned long expect = i ? vms.vmas[i - 1]->vm_end : start;
		if (vms.vmas[i]->vm_start != expect)
			ret = -ENOMEM;
	}
	if (!ret && (!vms.count || vms.vmas[vms.count - 1]->vm_end != end))
		ret = -ENOMEM;
	if (ret) {
		mmap_write_unlock(mm);
		return ret;
	}
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	for (int i = 0; i < vms.count; i++) {
		struct vm_area_struct *vma = vms.vmas[i];
		SCHED_YIELD("vm_flags", vma_obj(vma), SCHED_OP_WRITE);
		vma->vm_flags = write ? vma->vm_flags | VM_WRITE : vma->vm_flags & ~VM_WRITE;
		if (!write) {
			split_huge_pmds(vma, vma->vm_start, vma->vm_end); /* no change_huge_pmd() */
			change_protection(&tlb, vma, vma->vm_start, vma->vm_end);
		}
	}
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(mm);
	return 0;
}
