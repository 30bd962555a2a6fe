/* SPDX-License-Identifier: MIT */
/* VMAs, mmap_lock, mmap and madvise (see mmap.h). */
#include "mmap.h"

#include "memory.h"
#include "rmap.h"

void mmap_read_lock(struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
}
void mmap_read_unlock(struct mm_struct *mm)
{
	up_read(&mm->mmap_lock);
}
void mmap_write_lock(struct mm_struct *mm)
{
	down_write(&mm->mmap_lock);
}
void mmap_write_unlock(struct mm_struct *mm)
{
	up_write(&mm->mmap_lock);
}

void mmap_assert_locked(struct mm_struct *mm)
{
	if (!rwsem_is_locked_by_me(&mm->mmap_lock))
		lockdep_assert_held_at(mm->mmap_lock.obj, mm->mmap_lock.name, false,
				       MM_SITE("mmap_assert_locked"));
}

void mmap_assert_write_locked(struct mm_struct *mm)
{
	if (!rwsem_is_write_locked_by_me(&mm->mmap_lock))
		lockdep_assert_held_at(mm->mmap_lock.obj, mm->mmap_lock.name, false,
				       MM_SITE("mmap_assert_write_locked"));
}

struct vm_area_struct *__find_vma(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *best = NULL;
	for (int i = 0; i < NR_VMAS_PER_MM; i++) {
		struct vm_area_struct *vma = &mm->vmas[i];
		if (vma->vm_mm && vma->vm_end > addr && (!best || vma->vm_start < best->vm_start))
			best = vma;
	}
	return best;
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	mmap_assert_locked(mm);
	return __find_vma(mm, addr);
}

static uint32_t vma_generation;

void mmap_reset(void)
{
	vma_generation = 0;
}

int do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long pages,
	    struct address_space *file, unsigned long pgoff, uint32_t vm_flags)
{
	unsigned long end = addr + (pages << PAGE_SHIFT);
	if (!pages || addr % PAGE_SIZE || end > TASK_SIZE || end <= addr)
		return -EINVAL;
	if (file && pgoff + pages > FILE_PAGES)
		return -EINVAL;
	mmap_write_lock(mm);
	struct vm_area_struct *next = find_vma(mm, addr);
	if (next && next->vm_start < end) {
		mmap_write_unlock(mm);
		return -EEXIST;
	}
	struct vm_area_struct *vma = NULL;
	for (int i = 0; i < NR_VMAS_PER_MM && !vma; i++)
		if (!mm->vmas[i].vm_mm)
			vma = &mm->vmas[i];
	if (!vma) {
		mmap_write_unlock(mm);
		return -ENOMEM;
	}
	*vma = (struct vm_area_struct){.vm_start = addr,
				       .vm_end = end,
				       .vm_flags = vm_flags,
				       .vm_mm = mm,
				       .vm_file = file,
				       .vm_pgoff = pgoff,
				       .vm_gen = ++vma_generation};
	SCHED_YIELD("vma_link", SCHED_OBJ(OBJ_MM_LOCK, (uint32_t)mm->id), SCHED_OP_WRITE);
	if (file)
		vma_link_file(vma);
	mmap_write_unlock(mm);
	return 0;
}

/* Models: madvise_dontneed_free() -> zap_page_range_single() for each VMA. */
int do_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int advice)
{
	if (advice != MADV_DONTNEED || addr % PAGE_SIZE)
		return -EINVAL;
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
		zap_page_range_single(vma, start, stop - start);
		addr = stop;
	}
	mmap_read_unlock(mm);
	return ret;
}
