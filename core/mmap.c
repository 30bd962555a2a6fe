/* SPDX-License-Identifier: MIT */
/* mmap_lock, VMA lookup, mmap, munmap, madvise, exit (see mmap.h). */
#include "mmap.h"

#include "hw.h"
#include "memory.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

static uint32_t vma_generation;

void mmap_reset(void)
{
	vma_generation = 0;
}

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

/* ---- splitting and gathering ------------------------------------------------------ */

/*
 * Models: __split_vma(): cut @vma at @addr; @vma keeps [vm_start, addr), the
 * returned VMA gets [addr, vm_end).  Both are write-locked.
 * Context: mmap_lock held for write.  NULL: -ENOMEM.
 */
static struct vm_area_struct *split_vma(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	SCHED_ASSERT(addr > vma->vm_start && addr < vma->vm_end && addr % PAGE_SIZE == 0);
	struct vm_area_struct *new = vm_area_alloc(mm);
	if (!new)
		return NULL;
	vma_start_write(vma);
	new->vm_start = addr;
	new->vm_end = vma->vm_end;
	new->vm_flags = vma->vm_flags;
	new->vm_file = vma->vm_file;
	new->vm_pgoff = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	new->vm_gen = vma->vm_gen; /* the same mapping, cut in two */
	vma_start_write(new);
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, addr, new->vm_end - 1, new) == 0);
	SCHED_YIELD("vm_end", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_end = addr;
	vma_mark_detached(new, false);
	if (new->vm_file)
		vma_link_file(new);
	anon_vma_clone(new, vma);
	return new;
}

/*
 * The VMAs of an unmap and the reservations that cover them.  A reservation is a
 * run of the unmap's VMAs widened into the free space around it, up to the
 * neighbouring entries (VMAs or other reservations) and within the PMDs it
 * touches: the page tables inside it belong to this unmap alone, so it may free
 * them without mmap_lock.
 */
struct vma_munmap {
	unsigned long start, end;
	int count;
	struct vm_area_struct *vmas[NR_VMAS];
	int nr_resv;
	struct {
		unsigned long start, end;
	} resv[NR_VMAS];
};

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
static bool range_reserved(struct mm_struct *mm, unsigned long start, unsigned long end)
{
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
static void vms_set_bounds(struct mm_struct *mm, struct vma_munmap *vms)
{
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
 * inside [start, end).  Context: mmap_lock held for write.  Returns 0 or -ENOMEM.
 */
static int vms_gather(struct mm_struct *mm, unsigned long start, unsigned long end,
		      struct vma_munmap *vms)
{
	mmap_assert_write_locked(mm);
	vms->start = start;
	vms->end = end;
	vms->count = vms->nr_resv = 0;
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

/* Oracle bookkeeping: what the user sees mapped, set or cleared for [start, end). */
static void oracle_set_mapped(struct mm_struct *mm, unsigned long start, unsigned long end,
			      bool mapped)
{
	for (unsigned long a = start; a < end; a += PAGE_SIZE)
		if (mapped)
			mm->oracle_mapped |= 1ull << (a >> PAGE_SHIFT);
		else
			mm->oracle_mapped &= ~(1ull << (a >> PAGE_SHIFT));
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
		if (!pmd_present(pmd))
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
static void unmap_vmas(struct mmu_gather *tlb, struct vma_munmap *vms)
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
static void vms_free_pgtables(struct mmu_gather *tlb, struct vma_munmap *vms)
{
	for (int r = 0; r < vms->nr_resv; r++)
		free_pgtables(tlb, tlb->mm, vms->resv[r].start, vms->resv[r].end,
			      vms->resv[r].start, vms->resv[r].end);
}

/* Models: unmap_region(): zap, unlink, free page tables, flush; the oracle after. */
static void unmap_region(struct mm_struct *mm, struct vma_munmap *vms)
{
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	unmap_vmas(&tlb, vms);
	vms_free_pgtables(&tlb, vms);
	tlb_finish_mmu(&tlb);
	tlb_check_no_stale(&tlb, vms->start, vms->end, "the unmap");
}

static void remove_vmas(struct vma_munmap *vms)
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
static void mmap_write_lock_unreserved(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	mmap_write_lock(mm);
	while (range_reserved(mm, start, end)) {
		mmap_write_unlock(mm);
		down_write(&mm->munmap_sem);
		up_write(&mm->munmap_sem);
		mmap_write_lock(mm);
	}
}

/* ---- mmap ------------------------------------------------------------------------- */

/* Choose the address.  Context: mmap_lock held for write.  Returns it or -errno. */
static long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
			      enum mmap_placement placement)
{
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
	if (placement == MMAP_FIXED && addr + len <= TASK_SIZE && addr + len > addr)
		mmap_write_lock_unreserved(mm, addr, addr + len);
	else
		mmap_write_lock(mm);
	long ret = get_unmapped_area(mm, addr, len, placement);
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
	vma->vm_gen = ++vma_generation;
	/* one store replaces the old VMAs: RCU readers see old or new, never a hole */
	vma_link(mm, vma);
	oracle_set_mapped(mm, addr, addr + len, true);
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
	int ret = vm_area_available() < 2 ? -ENOMEM : vms_gather(mm, start, end, vms);
	if (ret || !vms->count)
		return ret;
	for (int i = 0; i < vms->count; i++) {
		vma_mark_detached(vms->vmas[i], true);
		oracle_set_mapped(mm, vms->vmas[i]->vm_start, vms->vmas[i]->vm_end, false);
	}
	void *resv = knob_enabled(KNOB_MUNMAP_UNLOCK_BEFORE_FLUSH) ? NULL : MTREE_ZERO;
	for (int r = 0; r < vms->nr_resv; r++)
		SCHED_ASSERT(mtree_store_range(&mm->mm_mt, vms->resv[r].start, vms->resv[r].end - 1,
					       resv) == 0);
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
		for (int i = 0; i < n; i++)
			SCHED_ASSERT(mtree_store_range(&mm->mm_mt, first[i], last[i], NULL) == 0);
	}
}

static void munmap_release_unlocked(struct mm_struct *mm, struct vma_munmap *vms)
{
	mmap_write_lock(mm);
	munmap_release(mm, vms);
	mmap_write_unlock(mm);
}

/* An unmap inside another operation, all under mmap_lock for write. */
static int munmap_locked(struct mm_struct *mm, unsigned long start, unsigned long end)
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
	down_read(&mm->munmap_sem);
	mmap_write_lock(mm);
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
		tlb_check_no_stale(&tlb, start, end, "munmap");
		if (!early)
			munmap_release_unlocked(mm, &vms);
		for (int i = 0; i < vms.count; i++)
			vm_area_free(vms.vmas[i]);
	}
	up_read(&mm->munmap_sem);
	return ret;
}

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
	unsigned long start = old_addr;
	pmd_t *old_pmdp = pmd_offset(mm, old_addr), *new_pmdp = pmd_offset(mm, new_addr);
	if (!pmd_present(pmdp_get(mm, old_pmdp)))
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
		hw_shadow_move(mm, old_addr, new_addr); /* oracle bookkeeping */
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
	new->vm_gen = ++vma_generation;
	anon_vma_clone(new, old); /* chained after the old VMA: walked after it */
	vma_link(mm, new);	  /* rmap finds the pages at their new address from now on */
	oracle_set_mapped(mm, new_addr, new_addr + len, true);
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
	oracle_set_mapped(mm, old_addr, old_addr + len, false);
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, old_addr, old_addr + len - 1, NULL) == 0);
	unmap_region(mm, &src);
	vm_area_free(old);
	mmap_write_unlock(mm);
	return (long)new_addr;
}

/* ---- stack expansion ------------------------------------------------------------------ */

/* Models: expand_downwards().  Context: mmap_lock held for write.  0 or -ENOMEM. */
static int expand_downwards(struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	struct vm_area_struct *prev = find_vma_prev(mm, vma->vm_start);
	if (prev && addr < prev->vm_end + STACK_GUARD_GAP)
		return -ENOMEM;
	unsigned long start;
	if (mt_empty_area(&mm->mm_mt, addr, vma->vm_start - 1, vma->vm_start - addr, 0, &start))
		return -ENOMEM; /* something (a reservation) is in the way */
	vma_start_write(vma);
	/* one range for the whole VMA, as every other store keeps it */
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, addr, vma->vm_end - 1, vma) == 0);
	SCHED_YIELD("vm_start", vma_obj(vma), SCHED_OP_WRITE);
	vma->vm_pgoff -= (vma->vm_start - addr) >> PAGE_SHIFT;
	oracle_set_mapped(mm, addr, vma->vm_start, true);
	vma->vm_start = addr;
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
	if (!found && addr < TASK_SIZE && (mm->oracle_mapped >> (addr >> PAGE_SHIFT) & 1))
		sched_finding(mm_oracle_names[ORACLE_VMA_VISIBILITY], MM_SITE("hole"), NULL,
			      1u << sched_current(),
			      "%s finds no VMA at P%d 0x%lx, which is mapped before and after "
			      "the operation in flight",
			      sched_agent_name(sched_current()), mm->id, addr);
	return found;
}

/* ---- madvise ------------------------------------------------------------------------ */

/* Models: madvise_dontneed_free() -> zap_page_range_single() for each VMA. */
int do_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int advice)
{
	if ((advice != MADV_DONTNEED && advice != MADV_FREE) || addr % PAGE_SIZE)
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
			struct folio *folio = pfn_folio(pte_pfn(old));
			folio->oracle |= FOLIO_ORACLE_TRANSIENT; /* oracle: put back below */
			old = ptep_get_and_clear(mm, addr, pte);
			set_pte_at(mm, addr, pte, pte_wrprotect(old));
			folio->oracle &= (uint8_t)~FOLIO_ORACLE_TRANSIENT;
			tlb_remove_tlb_entry(tlb, pte, addr);
		}
		pte_unmap_unlock(pte, ptl);
	}
}

/* Oracle: after the flush, no CPU may still write through an old translation. */
static void check_no_writable_tlb(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
			const struct tlb_entry *e = tlb_lookup(cpu, mm, addr);
			if (!e || !e->write)
				continue;
			sched_finding(
			    mm_oracle_names[ORACLE_TLB_COHERENCE], MM_SITE("mprotect"), NULL,
			    1u << cpu,
			    "%s can still write P%d 0x%lx (frame %u) after mprotect(PROT_READ) "
			    "returned",
			    sched_agent_name(cpu), mm->id, addr, e->pfn);
			return;
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
		if (!write)
			change_protection(&tlb, vma, vma->vm_start, vma->vm_end);
	}
	tlb_finish_mmu(&tlb);
	if (!write)
		check_no_writable_tlb(mm, start, end);
	mmap_write_unlock(mm);
	return 0;
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
	unsigned long index = 0;
	while ((vma = mt_find(&mm->mm_mt, &index, ULONG_MAX)) != NULL) {
		vma_start_write(vma);
		SCHED_ASSERT(vms.count < NR_VMAS);
		vms.vmas[vms.count++] = vma;
		if (!index)
			break;
	}
	VM_WARN_ON(range_reserved(mm, 0, TASK_SIZE)); /* every munmap() is done */
	tlb_gather_mmu_fullmm(&tlb, mm);
	unmap_vmas(&tlb, &vms);
	vms_free_pgtables(&tlb, &vms);
	tlb_finish_mmu(&tlb);
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, 0, ULONG_MAX, NULL) == 0);
	mm->oracle_mapped = 0;
	remove_vmas(&vms);
	mmap_write_unlock(mm);
	mm->live = false;
}
