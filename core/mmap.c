/* SPDX-License-Identifier: MIT */
/* mmap_lock, VMA lookup, mmap, munmap, stack expansion, lockless queries, exit (see mmap.h). */
#include "mmap.h"

#include "hw.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"
#include "vms.h"

/* ---- mmap_lock ------------------------------------------------------------------- */

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
	vma_end_write_all(mm);
	up_write(&mm->mmap_lock);
}
void mmap_write_downgrade(struct mm_struct *mm)
{
	vma_end_write_all(mm);
	downgrade_write(&mm->mmap_lock);
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

/* ---- lookup ---------------------------------------------------------------------- */

struct vm_area_struct *__find_vma(struct mm_struct *mm, unsigned long addr)
{
	unsigned long index = addr;
	return mt_find(&mm->mm_mt, &index, ULONG_MAX);
}

struct vm_area_struct *find_vma(struct mm_struct *mm, unsigned long addr)
{
	mmap_assert_locked(mm);
	return __find_vma(mm, addr);
}

/* The last VMA ending at or below @addr, or NULL.  Context: mmap_lock held. */
static struct vm_area_struct *find_vma_prev(struct mm_struct *mm, unsigned long addr)
{
	mmap_assert_locked(mm);
	struct vm_area_struct *prev = NULL, *vma;
	unsigned long index = 0;
	while (addr && (vma = mt_find(&mm->mm_mt, &index, addr - 1)) != NULL) {
		if (vma->vm_end <= addr)
			prev = vma;
		if (!index)
			break; /* wrapped past ULONG_MAX */
	}
	return prev;
}

/* ---- mmap ------------------------------------------------------------------------- */

/* Choose the address.  Context: mmap_lock held for write.  Returns it or -errno. */
static long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
			      enum mmap_placement placement)
{
	mmap_assert_write_locked(mm);
	unsigned long end = addr + len, start;
	/* MTREE_ZERO is occupied; knob mtree-zero-as-gap: free */
	unsigned int zero = knob_enabled(KNOB_MTREE_ZERO_AS_GAP) ? MT_EMPTY_ZERO_AS_GAP : 0;
	bool in_range = end <= TASK_SIZE && end > addr;
	switch (placement) {
	case MMAP_FIXED:
		return in_range ? (long)addr : -EINVAL;
	case MMAP_NOREPLACE:
		if (!in_range)
			return -EINVAL;
		return mt_empty_area(&mm->mm_mt, addr, end - 1, len, zero, &start) ? -EEXIST
										   : (long)addr;
	case MMAP_HINT:
		if (in_range && !mt_empty_area(&mm->mm_mt, addr, end - 1, len, zero, &start))
			return (long)addr;
		/* arch_get_unmapped_area_topdown(): the highest free range */
		if (len > TASK_SIZE ||
		    mt_empty_area(&mm->mm_mt, 0, TASK_SIZE - 1, len, MT_EMPTY_REV | zero, &start))
			return -ENOMEM;
		return (long)start;
	}
	return -EINVAL;
}

long do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long pages,
	     struct address_space *file, unsigned long pgoff, uint32_t vm_flags,
	     enum mmap_placement placement)
{
	unsigned long len = pages << PAGE_SHIFT;
	if (!pages || addr % PAGE_SIZE || (file && pgoff + pages > FILE_PAGES))
		return -EINVAL;
	/*
	 * A range a munmap() is still tearing down is not free yet, but will be: as
	 * the kernel's mmap() waits for munmap's mmap_lock, wait for its reservation
	 * (the requested range only: elsewhere, mmap() looks for another gap).
	 * Knob mtree-zero-as-gap: the gap search sees no reservation to wait for.
	 */
	if (addr + len <= TASK_SIZE && addr + len > addr &&
	    (placement == MMAP_FIXED || !knob_enabled(KNOB_MTREE_ZERO_AS_GAP)))
		mmap_write_lock_unreserved(mm, addr, addr + len);
	else
		mmap_write_lock(mm);
	long ret = get_unmapped_area(mm, addr, len, placement);
	if (ret >= 0 && mt_preallocate(&mm->mm_mt, 2)) /* MAP_FIXED's NULL store, vma_link */
		ret = -ENOMEM;
	if (ret < 0 || vm_area_available() < 3) {
		mmap_write_unlock(mm);
		return ret < 0 ? ret : -ENOMEM;
	}
	addr = (unsigned long)ret;
	struct vma_munmap vms = {.count = 0};
	if (placement == MMAP_FIXED) {
		/* gather the old VMAs and clear their PTEs while they are still in the
		 * tree: write-locked, so faults on them fall back to mmap_lock and wait */
		if (vms_gather(mm, addr, addr + len, &vms)) {
			mmap_write_unlock(mm);
			return -ENOMEM;
		}
		if (vms.count && knob_enabled(KNOB_MAP_FIXED_TEMPORAL_GAP)) {
			/* the old order: unmap completely, insert afterwards */
			for (int i = 0; i < vms.count; i++)
				vma_mark_detached(vms.vmas[i], true);
			SCHED_ASSERT(mtree_store_range(&mm->mm_mt, addr, addr + len - 1, NULL) ==
				     0);
		}
		if (vms.count)
			unmap_region(mm, &vms);
	}
	struct vm_area_struct *vma = vm_area_alloc(mm);
	SCHED_ASSERT(vma); /* vm_area_available() said so */
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_file = file;
	vma->vm_pgoff = file ? pgoff : addr >> PAGE_SHIFT; /* anon: the linear index */
	vma->vm_gen = vma_next_generation();
	/* one store replaces the old VMAs: RCU readers see old or new, never a hole */
	vma_link(mm, vma);
	remove_vmas(&vms);
	mmap_write_unlock(mm);
	return (long)addr;
}

/* ---- munmap ------------------------------------------------------------------------ */

/*
 * munmap() in the range-reservation design of the Glisse/Wilcox thread (Dec 2019):
 * under mmap_lock for write the VMAs are detached and their range is *reserved*
 * (MTREE_ZERO: lookups see nothing, gap search sees it occupied); then mmap_lock
 * is dropped and the teardown — zap, free page tables, TLB flush — runs without
 * it; only then is the reservation released.  munmap_sem tells MAP_FIXED when a
 * reservation in its way is gone.
 *
 * Knobs: munmap-unlock-before-flush leaves no reservation at all (NULL);
 * munmap-free-range-before-flush releases it once the PTEs are clear, before the
 * flush and the page-table free; mtree-zero-as-gap (get_unmapped_area) lets mmap()
 * hand a reserved range out.
 */

/*
 * Gather [start, end), detach the VMAs and reserve their range.
 * Context: mmap_lock held for write.  Returns 0 or -ENOMEM.
 */
static int munmap_detach(struct mm_struct *mm, unsigned long start, unsigned long end,
			 struct vma_munmap *vms)
{
	mmap_assert_write_locked(mm);
	int ret = vm_area_available() < 2 ? -ENOMEM : vms_gather(mm, start, end, vms);
	if (ret || !vms->count)
		return ret;
	for (int i = 0; i < vms->count; i++)
		vma_mark_detached(vms->vmas[i], true);
	void *resv = knob_enabled(KNOB_MUNMAP_UNLOCK_BEFORE_FLUSH) ? NULL : MTREE_ZERO;
	for (int r = 0; r < vms->nr_resv; r++) /* vms_gather() preallocated */
		SCHED_ASSERT(mtree_store_range(&mm->mm_mt, vms->resv[r].start, vms->resv[r].end - 1,
					       resv) == 0);
	/*
	 * The release's stores come after mmap_lock was dropped: promise them now.
	 * One per reservation, and (knob mtree-zero-as-gap) one per VMA mmap() may
	 * have cut into one meanwhile.
	 */
	mt_pledge(&mm->mm_mt, (unsigned int)vms->nr_resv + NR_VMAS_PER_MM);
	return 0;
}

/*
 * Release the reservations: erase what is still MTREE_ZERO inside them (with
 * mtree-zero-as-gap, a new VMA may have been stored there meanwhile).
 * Context: mmap_lock held for write.
 */
static void munmap_release(struct mm_struct *mm, struct vma_munmap *vms)
{
	mmap_assert_write_locked(mm);
	for (int r = 0; r < vms->nr_resv; r++) {
		unsigned long first[NR_VMAS], last[NR_VMAS];
		int n = 0;
		void *entry;
		MA_STATE(mas, &mm->mm_mt, vms->resv[r].start, vms->resv[r].start);
		mas_for_each(&mas, entry, vms->resv[r].end - 1)
		{
			if (!mt_is_zero(entry))
				continue;
			SCHED_ASSERT(n < NR_VMAS);
			first[n] = mas.index > vms->resv[r].start ? mas.index : vms->resv[r].start;
			last[n++] = mas.last < vms->resv[r].end ? mas.last : vms->resv[r].end - 1;
		}
		/* within the pledge of munmap_detach() */
		for (int i = 0; i < n; i++)
			SCHED_ASSERT(mtree_store_range(&mm->mm_mt, first[i], last[i], NULL) == 0);
	}
	mt_unpledge(&mm->mm_mt, (unsigned int)vms->nr_resv + NR_VMAS_PER_MM);
}

static void munmap_release_unlocked(struct mm_struct *mm, struct vma_munmap *vms)
{
	mmap_write_lock(mm);
	munmap_release(mm, vms);
	mmap_write_unlock(mm);
}

/* An unmap inside another operation, all under mmap_lock for write. */
int munmap_locked(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	struct vma_munmap vms;
	int ret = munmap_detach(mm, start, end, &vms);
	if (ret || !vms.count)
		return ret;
	unmap_region(mm, &vms);
	munmap_release(mm, &vms);
	for (int i = 0; i < vms.count; i++)
		vm_area_free(vms.vmas[i]);
	return 0;
}

int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if (start % PAGE_SIZE || !len || len > TASK_SIZE || start > TASK_SIZE - len)
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	/* a range another munmap() still tears down: wait for it, as today's munmap
	 * waits for the other's mmap_lock; munmap() must not return before the whole
	 * range is gone */
	for (;;) {
		down_read(&mm->munmap_sem);
		mmap_write_lock(mm);
		if (!range_reserved(mm, start, end))
			break;
		mmap_write_unlock(mm);
		up_read(&mm->munmap_sem);
		down_write(&mm->munmap_sem);
		up_write(&mm->munmap_sem);
	}
	struct vma_munmap vms;
	int ret = munmap_detach(mm, start, end, &vms);
	mmap_write_unlock(mm); /* the reservation keeps the range ours */
	if (!ret && vms.count) {
		bool early = knob_enabled(KNOB_MUNMAP_FREE_RANGE_BEFORE_FLUSH);
		struct mmu_gather tlb;
		tlb_gather_mmu(&tlb, mm);
		unmap_vmas(&tlb, &vms);
		if (early)
			munmap_release_unlocked(mm, &vms);
		vms_free_pgtables(&tlb, &vms);
		tlb_finish_mmu(&tlb);
		if (!early)
			munmap_release_unlocked(mm, &vms);
		for (int i = 0; i < vms.count; i++)
			vm_area_free(vms.vmas[i]);
	}
	up_read(&mm->munmap_sem);
	return ret;
}

/* ---- stack expansion ------------------------------------------------------------------ */

/*
 * Models: expand_downwards().  Context: mmap_lock held for write (knob
 * stack-expand-read-lock: for read, and page_table_lock taken here, as before
 * 6.5).  0 or -ENOMEM.
 */
static int expand_downwards(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	if (knob_enabled(KNOB_STACK_EXPAND_READ_LOCK))
		mmap_assert_locked(mm);
	else
		mmap_assert_write_locked(mm);
	struct vm_area_struct *prev = find_vma_prev(mm, vma->vm_start);
	if (prev && addr < prev->vm_end + STACK_GUARD_GAP)
		return -ENOMEM;
	unsigned long start;
	if (mt_empty_area(&mm->mm_mt, addr, vma->vm_start - 1, vma->vm_start - addr, 0, &start))
		return -ENOMEM; /* something (a reservation) is in the way */
	/* the file offset (linear index) cannot go below 0: a stack mremap()ed up */
	if ((vma->vm_start - addr) >> PAGE_SHIFT > vma->vm_pgoff)
		return -ENOMEM;
	if (mt_preallocate(&mm->mm_mt, 1))
		return -ENOMEM;
	bool read_locked = knob_enabled(KNOB_STACK_EXPAND_READ_LOCK);
	if (read_locked) /* the old serialisation against other expanders only */
		spin_lock(&mm->page_table_lock);
	else
		vma_start_write(vma);
	/* one range for the whole VMA, as every other store keeps it */
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, addr, vma->vm_end - 1, vma) == 0);
	SCHED_YIELD("vm_start", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_pgoff -= (vma->vm_start - addr) >> PAGE_SHIFT;
	vma->vm_start = addr;
	if (read_locked)
		spin_unlock(&mm->page_table_lock);
	return 0;
}

struct vm_area_struct *lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr)
{
	addr &= ~(PAGE_SIZE - 1);
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr)
		return vma;
	if (!vma || !(vma->vm_flags & VM_GROWSDOWN)) {
		mmap_read_unlock(mm);
		return NULL;
	}
	if (knob_enabled(KNOB_STACK_EXPAND_READ_LOCK)) { /* before 8d7071af8907 */
		if (expand_downwards(vma, addr)) {
			mmap_read_unlock(mm);
			return NULL;
		}
		return vma;
	}
	/* expanding needs the write lock: drop, retake, look again */
	mmap_read_unlock(mm);
	mmap_write_lock(mm);
	vma = find_vma(mm, addr);
	if (!vma || (vma->vm_start > addr &&
		     (!(vma->vm_flags & VM_GROWSDOWN) || expand_downwards(vma, addr)))) {
		mmap_write_unlock(mm);
		return NULL;
	}
	mmap_write_downgrade(mm);
	return vma;
}

/* ---- lockless queries ---------------------------------------------------------------- */

int procmap_query(struct mm_struct *mm, unsigned long addr)
{
	addr &= ~(PAGE_SIZE - 1);
	struct vm_area_struct *vma = lock_vma_under_rcu(mm, addr);
	bool found = vma != NULL;
	if (vma) {
		vma_end_read(vma);
	} else {
		/* a writer holds the VMA, or there is none: is it a hole? */
		rcu_read_lock();
		bool hole = mtree_load(&mm->mm_mt, addr) == NULL;
		rcu_read_unlock();
		if (!hole) {
			mmap_read_lock(mm);
			vma = find_vma(mm, addr);
			found = vma && vma->vm_start <= addr;
			mmap_read_unlock(mm);
		}
	}
	return found;
}

/*
 * The cursor lives across the dropped lock only as last_pos: after m_stop the
 * tree may have new nodes, and the node an ma_state held may be freed.  The
 * kernel's m_start sets its iterator again (vma_iter_init) for that reason.
 */
int proc_maps_read(struct mm_struct *mm)
{
	unsigned long last_pos = 0;
	int shown = 0;

	for (int records = 0; records < NR_VMAS_PER_MM * 4 && last_pos < TASK_SIZE; records++) {
		MA_STATE(mas, &mm->mm_mt, last_pos, last_pos);
		struct vm_area_struct *vma;
		void *entry;

		mmap_read_lock(mm); /* m_start */
		do
			entry = mas_find(&mas, TASK_SIZE - 1);
		while (entry && mt_is_zero(entry));
		vma = entry;
		if (!vma) {
			mmap_read_unlock(mm);
			break;
		}
		/* show_map_vma(): the VMA's fields, stable under mmap_lock and equal to
		 * its range in the tree (what validate_mm() checks) */
		SCHED_YIELD("show_map", vma_obj(vma), SCHED_OP_READ);
		VM_WARN_ON(vma->vm_end <= last_pos);
		VM_WARN_ON(mas.index != vma->vm_start || mas.last + 1 != vma->vm_end);
		last_pos = vma->vm_end;
		shown++;
		mmap_read_unlock(mm); /* m_stop: the seq_file buffer is full */
	}
	return shown;
}

/* ---- exit --------------------------------------------------------------------------- */

void exit_mmap(struct mm_struct *mm)
{
	struct vma_munmap vms = {.start = 0, .end = TASK_SIZE, .nr_resv = 1};
	vms.resv[0].start = 0;
	vms.resv[0].end = TASK_SIZE;
	struct mmu_gather tlb;
	mmap_write_lock(mm);
	struct vm_area_struct *vma;
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	mas_for_each(&mas, vma, ULONG_MAX)
	{
		VM_WARN_ON(mt_is_zero(vma)); /* every munmap() is done */
		vma_start_write(vma);
		SCHED_ASSERT(vms.count < NR_VMAS);
		vms.vmas[vms.count++] = vma;
	}
	tlb_gather_mmu_fullmm(&tlb, mm);
	unmap_vmas(&tlb, &vms);
	vms_free_pgtables(&tlb, &vms);
	tlb_finish_mmu(&tlb);
	mtree_destroy(&mm->mm_mt);
	remove_vmas(&vms);
	mmap_write_unlock(mm);
	mm->live = false;
}
