/* SPDX-License-Identifier: MIT */
/* Gathering, splitting, reserving and unmapping VMAs (see vms.h). */
#include "vms.h"

#include "gup.h"
#include "huge_memory.h"
#include "hw.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

uint32_t vma_next_generation(void)
{
	return ++mm_world.vma_generation;
}

/* ---- splitting and gathering ------------------------------------------------------ */

/*
 * Models: __split_vma(): cut @vma at @addr; @vma keeps [vm_start, addr), the
 * returned VMA gets [addr, vm_end).  Both are write-locked.
 * Context: mmap_lock held for write; takes i_mmap_rwsem and the anon_vma root's
 * rwsem for write around the cut.  NULL: -ENOMEM.
 */
struct vm_area_struct *split_vma(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	SCHED_ASSERT(addr > vma->vm_start && addr < vma->vm_end && addr % PAGE_SIZE == 0);
	struct vm_area_struct *new = vm_area_alloc(mm);
	if (!new)
		return NULL;
	vma_start_write(vma);
	/* vma_adjust_trans_huge(): no huge PMD may straddle a VMA boundary */
	if (addr % PMD_SIZE)
		split_huge_pmd(vma, pmd_offset(mm, addr), addr);
	new->vm_start = addr;
	new->vm_end = vma->vm_end;
	new->vm_flags = vma->vm_flags;
	new->vm_file = vma->vm_file;
	new->vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	new->vm_gen = vma->vm_gen; /* the same mapping, cut in two */
	vma_start_write(new);
	/* rmap first (anon_vma_clone(), then i_mmap): the upper half is chained
	 * before any lookup can find it */
	anon_vma_clone(new, vma);
	if (new->vm_file)
		vma_link_file(new);
	/*
	 * vma_prepare() .. vma_complete(): the tree store and the shrink under the
	 * rmap locks for write.  A walker holding them for read (remove_migration_ptes(),
	 * try_to_unmap()) sees the cut before or after, never the lower VMA still
	 * covering the upper half while mprotect() is about to give it new flags.
	 */
	if (vma->vm_file)
		down_write(&vma->vm_file->i_mmap_rwsem);
	if (vma->anon_vma)
		down_write(&vma->anon_vma->root->rwsem);
	/* vms_gather() preallocated (mt_preallocate) */
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, addr, new->vm_end - 1, new) == 0);
	SCHED_YIELD("vm_end", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_end = addr;
	if (vma->anon_vma)
		up_write(&vma->anon_vma->root->rwsem);
	if (vma->vm_file)
		up_write(&vma->vm_file->i_mmap_rwsem);
	vma_mark_detached(new, false);
	return new;
}

/*
 * Models: is_mergeable_vma() + is_mergeable_anon_vma() + the pgoff check of
 * can_vma_merge_after()/before(): may @vma, which is to get @flags, and its
 * neighbour @other be one VMA?  Same flags and file, file offsets that run on,
 * the same anon_vma chain; and, the model's own rule, the same mmap() (vm_gen:
 * the model's mmap() merges nothing, so neither do the VMAs of two calls here).
 * Leaves out: dup_anon_vma() (one side without an anon_vma).
 */
static bool vma_mergeable(const struct vm_area_struct *vma, uint32_t flags,
			  const struct vm_area_struct *other)
{
	if (other->vm_flags != flags || other->vm_file != vma->vm_file ||
	    other->vm_gen != vma->vm_gen || other->anon_vma != vma->anon_vma ||
	    other->nr_avc != vma->nr_avc)
		return false;
	for (int i = 0; i < vma->nr_avc; i++)
		if (other->avc[i] != vma->avc[i])
			return false;
	/* vm_pgoff runs on across the boundary (anonymous VMAs too: split halves) */
	long delta = ((long)other->vm_start - (long)vma->vm_start) >> PAGE_SHIFT;
	return (long)other->vm_pgoff - (long)vma->vm_pgoff == delta;
}

/* The VMA of @mm that ends (starts) exactly at @addr, or NULL.  Context: mmap_lock. */
static struct vm_area_struct *vma_ending_at(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *prev = addr ? find_vma(mm, addr - PAGE_SIZE) : NULL;
	return prev && prev->vm_end == addr ? prev : NULL;
}

static struct vm_area_struct *vma_starting_at(struct mm_struct *mm, unsigned long addr)
{
	struct vm_area_struct *next = addr < TASK_SIZE ? find_vma(mm, addr) : NULL;
	return next && next->vm_start == addr ? next : NULL;
}

/* Set @vma's range to [start, end) (vm_pgoff follows vm_start). */
static void vma_set_range(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	SCHED_YIELD("vm_range", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_pgoff = vma->vm_pgoff + ((long)start - (long)vma->vm_start) / (long)PAGE_SIZE;
	vma->vm_start = start;
	vma->vm_end = end;
}

/*
 * Models: vma_merge_existing_range() -> commit_merge() (6.12): give [start, end)
 * of @vma the flags @flags by merging it into the VMA before it (prev, which
 * grows up to @end) and/or the one after it (next, which grows down to @start)
 * when they are mergeable; @vma shrinks to what is left of it, or goes.  Only a
 * range that reaches an end of @vma can merge.  Every VMA involved is
 * write-locked first (lockless lookups fall back to mmap_lock, which we hold);
 * the ranges change under i_mmap_rwsem and the anon_vma lock for write
 * (vma_prepare()), the survivor growing, then taking the range in the tree in
 * one store, before the other shrinks: an rmap walker or a lookup finds every
 * page in one of them, or in both (each rmap_one step re-checks the PTE under
 * its lock); a removed VMA leaves rmap last.  Returns the VMA that covers [start,
 * end) now, or NULL: no merge (the caller splits).
 * Context: mmap_lock held for write.
 */
static struct vm_area_struct *vma_merge_existing_range(struct vm_area_struct *vma,
						       unsigned long start, unsigned long end,
						       uint32_t flags)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	bool left_side = start == vma->vm_start, right_side = end == vma->vm_end;
	struct vm_area_struct *prev = left_side ? vma_ending_at(mm, start) : NULL;
	struct vm_area_struct *next = right_side ? vma_starting_at(mm, end) : NULL;
	bool merge_left = prev && vma_mergeable(vma, flags, prev);
	bool merge_right = next && vma_mergeable(vma, flags, next);
	if ((!merge_left && !merge_right) || mt_preallocate(&mm->mm_mt, 1))
		return NULL;
	vma_start_write(vma);
	if (merge_left)
		vma_start_write(prev);
	if (merge_right)
		vma_start_write(next);
	struct vm_area_struct *res = merge_left ? prev : next;
	bool remove_vma = left_side && right_side, remove_next = merge_left && merge_right;
	unsigned long new_start = merge_left ? prev->vm_start : start;
	unsigned long new_end = remove_next ? next->vm_end : merge_left ? end : next->vm_end;
	/* vma_adjust_trans_huge(): no huge PMD may straddle a boundary that moves */
	if (!remove_vma && (merge_left ? end : start) % PMD_SIZE)
		split_huge_pmd(vma, pmd_offset(mm, merge_left ? end : start),
			       merge_left ? end : start);
	/* vma_prepare() */
	if (vma->vm_file)
		down_write(&vma->vm_file->i_mmap_rwsem);
	if (vma->anon_vma)
		down_write(&vma->anon_vma->root->rwsem);
	vma_set_range(res, new_start, new_end);
	/* the tree before the shrink: a lookup always finds a VMA that covers */
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, new_start, new_end - 1, res) == 0);
	if (!remove_vma && merge_left)
		vma_set_range(vma, end, vma->vm_end);
	else if (!remove_vma)
		vma_set_range(vma, vma->vm_start, start);
	if (vma->anon_vma)
		up_write(&vma->anon_vma->root->rwsem);
	if (vma->vm_file)
		up_write(&vma->vm_file->i_mmap_rwsem);
	/* vma_complete(): the merged-away VMAs, out of the tree, leave rmap */
	struct vm_area_struct *gone[2] = {remove_vma ? vma : NULL, remove_next ? next : NULL};
	for (int i = 0; i < 2; i++) {
		if (!gone[i])
			continue;
		if (gone[i]->vm_file)
			vma_unlink_file(gone[i]);
		unlink_anon_vmas(gone[i]);
		vma_mark_detached(gone[i], true);
		vm_area_free(gone[i]);
	}
	return res;
}

/*
 * Models: vma_modify_flags() -> vma_modify() (mm/vma.c): merge [start, end) of
 * @vma into a neighbour if one is mergeable with its new flags; else cut @vma at
 * @start and @end as needed, then set the flags of the VMA in between.
 * Context: mmap_lock held for write; @vma covers [start, end).
 */
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *vma, unsigned long start,
					unsigned long end, uint32_t new_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	SCHED_ASSERT(start >= vma->vm_start && end <= vma->vm_end && start < end);
	struct vm_area_struct *merged = vma_merge_existing_range(vma, start, end, new_flags);
	if (merged)
		return merged;
	/* two splits at most: two VMAs and two tree stores, checked before either */
	if (vm_area_available() < 2 || mt_preallocate(&mm->mm_mt, 2))
		return NULL;
	if (start > vma->vm_start && !(vma = split_vma(vma, start)))
		return NULL;
	if (end < vma->vm_end && !split_vma(vma, end))
		return NULL;
	vma_start_write(vma);
	SCHED_YIELD("vm_flags", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_flags = new_flags;
	return vma;
}

/* The end of the last entry (VMA or MTREE_ZERO) ending at or below @addr, or 0. */
static unsigned long entry_end_below(struct mm_struct *mm, unsigned long addr)
{
	unsigned long end = 0;
	void *entry;
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	if (addr)
		mas_for_each(&mas, entry, addr - 1) if (mas.last < addr) end = mas.last + 1;
	return end;
}

/* The start of the first entry (VMA or MTREE_ZERO) ending above @addr, or TASK_SIZE. */
static unsigned long entry_start_above(struct mm_struct *mm, unsigned long addr)
{
	MA_STATE(mas, &mm->mm_mt, addr, addr);
	if (!mas_find(&mas, TASK_SIZE - 1))
		return TASK_SIZE;
	return mas.index > addr ? mas.index : addr;
}

/* Does any reservation (MTREE_ZERO) intersect [start, end)?  Context: mmap_lock. */
bool range_reserved(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	mmap_assert_locked(mm);
	void *entry;
	MA_STATE(mas, &mm->mm_mt, start, start);
	mas_for_each(&mas, entry, end - 1) if (mt_is_zero(entry)) return true;
	return false;
}

/*
 * Compute vms->resv from the gathered VMAs (sorted by address): merge adjacent
 * VMAs into runs, widen each run, merge runs that then meet.
 * Context: mmap_lock held for write.
 */
void vms_set_bounds(struct mm_struct *mm, struct vma_munmap *vms)
{
	mmap_assert_write_locked(mm);
	const unsigned long pmd_mask = (1ul << PMD_SHIFT) - 1;
	vms->nr_resv = 0;
	for (int i = 0; i < vms->count; i++) {
		unsigned long rs = vms->vmas[i]->vm_start, re = vms->vmas[i]->vm_end;
		while (i + 1 < vms->count && vms->vmas[i + 1]->vm_start == re)
			re = vms->vmas[++i]->vm_end;
		unsigned long lo = entry_end_below(mm, rs), hi = entry_start_above(mm, re);
		if (lo < (rs & ~pmd_mask))
			lo = rs & ~pmd_mask;
		if (hi > ((re + pmd_mask) & ~pmd_mask))
			hi = (re + pmd_mask) & ~pmd_mask;
		if (vms->nr_resv && vms->resv[vms->nr_resv - 1].end >= lo) {
			vms->resv[vms->nr_resv - 1].end = hi;
			continue;
		}
		vms->resv[vms->nr_resv].start = lo;
		vms->resv[vms->nr_resv++].end = hi;
	}
}

/*
 * Models: vms_gather_munmap_vmas(): split at the edges, then write-lock every VMA
 * inside [start, end).  Checks first that the tree can take the stores of the
 * operation that gathers (mt_preallocate).  Context: mmap_lock held for write.
 * Returns 0 or -ENOMEM.
 */
int vms_gather(struct mm_struct *mm, unsigned long start, unsigned long end, struct vma_munmap *vms)
{
	mmap_assert_write_locked(mm);
	vms->start = start;
	vms->end = end;
	vms->count = vms->nr_resv = 0;
	/* mas_preallocate: two splits, a reservation or NULL store per VMA, a new VMA */
	if (mt_preallocate(&mm->mm_mt, 3 + NR_VMAS_PER_MM))
		return -ENOMEM;
	struct vm_area_struct *vma = find_vma(mm, start);
	if (vma && vma->vm_start < start && vma->vm_end > start && !split_vma(vma, start))
		return -ENOMEM;
	for (vma = find_vma(mm, start); vma && vma->vm_start < end;
	     vma = find_vma(mm, vma->vm_end)) {
		if (vma->vm_end > end && !split_vma(vma, end))
			return -ENOMEM;
		vma_start_write(vma);
		SCHED_ASSERT(vms->count < NR_VMAS);
		vms->vmas[vms->count++] = vma;
	}
	vms_set_bounds(mm, vms);
	return 0;
}

/*
 * Models: free_pgtables(): clear the PMDs whose whole span lies inside [floor,
 * ceiling) and touches [start, end), and hand their tables to the mmu_gather,
 * which frees them after the TLB flush (the flush IPI also waits out hardware
 * walkers still reading them).  Context: the VMAs of the span detached.
 */
static void free_pgtables(struct mmu_gather *tlb, struct mm_struct *mm, unsigned long start,
			  unsigned long end, unsigned long floor, unsigned long ceiling)
{
	for (unsigned long p = pmd_index(start); p < PTRS_PER_PMD && (p << PMD_SHIFT) < end; p++) {
		unsigned long ps = p << PMD_SHIFT, pe = ps + (1ul << PMD_SHIFT);
		if (ps < floor || pe > ceiling)
			continue;
		pmd_t *pmdp = &mm->pmd[p];
		pmd_t pmd = pmdp_get(mm, pmdp);
		VM_WARN_ON(pmd_trans_huge(pmd)); /* zapped with the range */
		if (!pmd_table_present(pmd))
			continue;
		SCHED_YIELD("pmd_clear", pmd_obj(mm, pmdp), SCHED_OP_WRITE);
		pmdp->val = 0;
		tlb_remove_table(tlb, pmd_table(pmd), ps);
	}
}

/*
 * Models: unmap_vmas(): zap the gathered VMAs' PTEs into @tlb, then take file
 * VMAs off i_mmap and the VMAs off the anon_vma (rmap walkers must not walk page
 * tables about to be freed).
 */
void unmap_vmas(struct mmu_gather *tlb, struct vma_munmap *vms)
{
	for (int i = 0; i < vms->count; i++)
		unmap_single_vma(tlb, vms->vmas[i], vms->start, vms->end);
	for (int i = 0; i < vms->count; i++) {
		if (vms->vmas[i]->vm_file)
			vma_unlink_file(vms->vmas[i]);
		unlink_anon_vmas(vms->vmas[i]); /* rmap walkers are done with them */
	}
}

/* The page tables of every reservation go to @tlb (freed after its flush). */
void vms_free_pgtables(struct mmu_gather *tlb, struct vma_munmap *vms)
{
	for (int r = 0; r < vms->nr_resv; r++)
		free_pgtables(tlb, tlb->mm, vms->resv[r].start, vms->resv[r].end,
			      vms->resv[r].start, vms->resv[r].end);
}

/* Models: unmap_region(): zap, unlink, free page tables, flush. */
void unmap_region(struct mm_struct *mm, struct vma_munmap *vms)
{
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	unmap_vmas(&tlb, vms);
	vms_free_pgtables(&tlb, vms);
	tlb_finish_mmu(&tlb);
}

void remove_vmas(struct vma_munmap *vms)
{
	for (int i = 0; i < vms->count; i++) {
		vma_mark_detached(vms->vmas[i], true);
		vm_area_free(vms->vmas[i]);
	}
}

/*
 * Take mmap_lock for write with no reservation left in [start, end): MAP_FIXED
 * and mremap() may not replace a range that a munmap() still tears down.  Waits
 * for the munmaps in flight (munmap_sem) and looks again.
 */
void mmap_write_lock_unreserved(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	mmap_write_lock(mm);
	while (range_reserved(mm, start, end)) {
		mmap_write_unlock(mm);
		down_write(&mm->munmap_sem);
		up_write(&mm->munmap_sem);
		mmap_write_lock(mm);
	}
}
