/* SPDX-License-Identifier: MIT */
/* madvise(MADV_DONTNEED, MADV_FREE, MADV_HUGEPAGE, MADV_COLLAPSE) (see mmap.h). */
#include "mmap.h"

#include "hw.h"
#include "khugepaged.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"
#include "vms.h"

/* ---- madvise ------------------------------------------------------------------------ */

/*
 * Models: madvise(MADV_HUGEPAGE) -> madvise_update_vma(): under mmap_lock for
 * write, split the VMAs at the range's edges and set VM_HUGEPAGE.
 */
static int madvise_hugepage(struct mm_struct *mm, unsigned long addr, unsigned long end)
{
	mmap_write_lock(mm);
	struct vma_munmap vms;
	int ret = vm_area_available() < 2 ? -ENOMEM : vms_gather(mm, addr, end, &vms);
	for (int i = 0; !ret && i < vms.count; i++) {
		SCHED_YIELD("vm_flags", vma_obj(vms.vmas[i]), SCHED_OP_WRITE);
		vms.vmas[i]->vm_flags |= VM_HUGEPAGE;
	}
	mmap_write_unlock(mm);
	return ret ? ret : vms.count ? 0 : -ENOMEM;
}

/* Models: madvise_dontneed_free() -> zap_page_range_single() for each VMA. */
int do_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int advice)
{
	if (addr % PAGE_SIZE || (advice != MADV_DONTNEED && advice != MADV_FREE &&
				 advice != MADV_HUGEPAGE && advice != MADV_COLLAPSE))
		return -EINVAL;
	if (advice == MADV_HUGEPAGE)
		return madvise_hugepage(mm, addr, addr + len);
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
