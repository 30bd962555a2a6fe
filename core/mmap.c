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
	return new;
}

/* The VMAs of an unmap: the range, the VMAs inside it, the page-table bounds. */
struct vma_munmap {
	unsigned long start, end;
	unsigned long floor, ceiling; /* page tables may be freed only inside these */
	int count;
	struct vm_area_struct *vmas[NR_VMAS];
};

/*
 * Page tables may be freed only where no other VMA needs them: between the end of
 * the previous VMA and the start of the next.  Context: mmap_lock held.
 */
static void vms_set_bounds(struct mm_struct *mm, struct vma_munmap *vms)
{
	struct vm_area_struct *prev = find_vma_prev(mm, vms->start);
	struct vm_area_struct *next = find_vma(mm, vms->end);
	vms->floor = prev ? prev->vm_end : 0;
	vms->ceiling = next ? next->vm_start : TASK_SIZE;
}

/*
 * Models: vms_gather_munmap_vmas(): split at the edges, then write-lock every VMA
 * inside [start, end).  Context: mmap_lock held for write.  Returns 0 or -ENOMEM.
 */
static int vms_gather(struct mm_struct *mm, unsigned long start, unsigned long end,
		      struct vma_munmap *vms)
{
	mmap_assert_write_locked(mm);
	*vms = (struct vma_munmap){.start = start, .end = end};
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
		if (!pmd_present(pmd))
			continue;
		SCHED_YIELD("pmd_clear", pmd_obj(mm, pmdp), SCHED_OP_WRITE);
		pmdp->val = 0;
		tlb_remove_table(tlb, pmd_table(pmd), ps);
	}
}

/*
 * Models: unmap_region() / vms_clear_ptes(): zap the gathered VMAs' PTEs, take
 * file VMAs off i_mmap (rmap walkers must not walk tables about to be freed), free
 * the page tables, flush.
 */
static void unmap_region(struct mm_struct *mm, struct vma_munmap *vms)
{
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	for (int i = 0; i < vms->count; i++)
		unmap_single_vma(&tlb, vms->vmas[i], vms->start, vms->end);
	for (int i = 0; i < vms->count; i++)
		if (vms->vmas[i]->vm_file)
			vma_unlink_file(vms->vmas[i]);
	/* unlink_anon_vmas(): rmap walkers holding the anon_vma lock are done with
	 * these VMAs and their page tables */
	down_write(&mm->anon_vma_lock);
	up_write(&mm->anon_vma_lock);
	free_pgtables(&tlb, mm, vms->start, vms->end, vms->floor, vms->ceiling);
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

/* ---- mmap ------------------------------------------------------------------------- */

/* Choose the address.  Context: mmap_lock held for write.  Returns it or -errno. */
static long get_unmapped_area(struct mm_struct *mm, unsigned long addr, unsigned long len,
			      enum mmap_placement placement)
{
	unsigned long end = addr + len, start;
	unsigned int zero = 0; /* MTREE_ZERO is occupied */
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
		if (vms.count)
			unmap_region(mm, &vms);
	}
	struct vm_area_struct *vma = vm_area_alloc(mm);
	SCHED_ASSERT(vma); /* vmas_free_slots() said so */
	vma->vm_start = addr;
	vma->vm_end = addr + len;
	vma->vm_flags = vm_flags;
	vma->vm_file = file;
	vma->vm_pgoff = file ? pgoff : addr >> PAGE_SHIFT; /* anon: the linear index */
	vma->vm_gen = ++vma_generation;
	/* one store replaces the old VMAs: RCU readers see old or new, never a hole */
	vma_link(mm, vma);
	remove_vmas(&vms);
	mmap_write_unlock(mm);
	return (long)addr;
}

/* ---- munmap ------------------------------------------------------------------------ */

/*
 * Models: do_vmi_align_munmap() with unlock (the munmap() syscall).
 * Knob munmap-unlock-before-flush: drop mmap_lock entirely after clearing the
 * tree, before zapping and flushing: mmap() can hand the range out while other
 * CPUs still translate it to the old pages.
 */
/*
 * The first half of an unmap: gather [start, end), detach the VMAs and clear the
 * range in the tree.  Context: mmap_lock held for write.  Returns 0 or -ENOMEM.
 */
static int munmap_detach(struct mm_struct *mm, unsigned long start, unsigned long end,
			 struct vma_munmap *vms)
{
	int ret = vm_area_available() < 2 ? -ENOMEM : vms_gather(mm, start, end, vms);
	if (ret || !vms->count)
		return ret;
	for (int i = 0; i < vms->count; i++)
		vma_mark_detached(vms->vmas[i], true);
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, start, end - 1, NULL) == 0);
	return 0;
}

/* The second half: zap, free page tables, flush, free the VMAs.  Context: mmap_lock. */
static void munmap_complete(struct mm_struct *mm, struct vma_munmap *vms)
{
	unmap_region(mm, vms);
	for (int i = 0; i < vms->count; i++)
		vm_area_free(vms->vmas[i]);
}

int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len)
{
	if (start % PAGE_SIZE || !len || len > TASK_SIZE || start > TASK_SIZE - len)
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	mmap_write_lock(mm);
	struct vma_munmap vms;
	int ret = munmap_detach(mm, start, end, &vms);
	if (ret || !vms.count) {
		mmap_write_unlock(mm);
		return ret;
	}
	bool unlocked = knob_enabled(KNOB_MUNMAP_UNLOCK_BEFORE_FLUSH);
	if (unlocked)
		mmap_write_unlock(mm);
	else
		mmap_write_downgrade(mm); /* the range stays unusable until we unlock */
	munmap_complete(mm, &vms);
	if (!unlocked)
		mmap_read_unlock(mm);
	return 0;
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
	mmap_write_lock(mm);
	/* MREMAP_FIXED: whatever is mapped at the destination goes first */
	struct vma_munmap dst, src;
	int ret = munmap_detach(mm, new_addr, new_addr + len, &dst);
	if (!ret && dst.count)
		munmap_complete(mm, &dst);
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
	vma_link(mm, new); /* rmap finds the pages at their new address from now on */
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
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, old_addr, old_addr + len - 1, NULL) == 0);
	munmap_complete(mm, &src);
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
	struct vma_munmap vms = {.start = 0, .end = TASK_SIZE, .floor = 0, .ceiling = TASK_SIZE};
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
	tlb_gather_mmu_fullmm(&tlb, mm);
	for (int i = 0; i < vms.count; i++)
		unmap_single_vma(&tlb, vms.vmas[i], vms.vmas[i]->vm_start, vms.vmas[i]->vm_end);
	for (int i = 0; i < vms.count; i++)
		if (vms.vmas[i]->vm_file)
			vma_unlink_file(vms.vmas[i]);
	free_pgtables(&tlb, mm, 0, TASK_SIZE, 0, TASK_SIZE);
	tlb_finish_mmu(&tlb);
	SCHED_ASSERT(mtree_store_range(&mm->mm_mt, 0, ULONG_MAX, NULL) == 0);
	remove_vmas(&vms);
	mmap_write_unlock(mm);
	mm->live = false;
}
