/* SPDX-License-Identifier: MIT */
/* PMD-mapped anonymous THP (see huge_memory.h). */
#include "huge_memory.h"

#include <errno.h>

#include "gup.h"
#include "hw.h"
#include "memory.h"
#include "page.h"
#include "rmap.h"
#include "sbuf.h"
#include "tlb.h"
#include "vma.h"

bool thp_vma_allowable(const struct vm_area_struct *vma, unsigned long addr)
{
	unsigned long haddr = addr & PMD_MASK;
	return (vma->vm_flags & VM_HUGEPAGE) && !vma->vm_file && !(vma->vm_flags & VM_SHARED) &&
	       haddr >= vma->vm_start && haddr + PMD_SIZE <= vma->vm_end;
}

int do_huge_pmd_anonymous_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr,
			       bool write)
{
	struct mm_struct *mm = vma->vm_mm;
	unsigned long haddr = addr & PMD_MASK;
	struct folio *folio = folio_alloc_order(HPAGE_PMD_ORDER);
	if (!folio)
		return VM_FAULT_FALLBACK;
	int table = pte_alloc_one(mm);
	if (table < 0) {
		folio_put(folio);
		return VM_FAULT_FALLBACK;
	}
	folio->flags |= 1u << PG_anon;
	__folio_mark_uptodate(folio);
	spin_lock(&mm->page_table_lock);
	if (!pmd_none(pmdp_get(mm, pmdp))) {
		/* somebody else populated the PMD first: retry */
		spin_unlock(&mm->page_table_lock);
		pte_free_table((unsigned)table);
		folio_put(folio);
		return 0;
	}
	folio_add_new_anon_rmap_pmd(folio, vma, haddr);
	pgtable_trans_huge_deposit(mm, pmdp, table);
	pmd_t entry = pmd_mkyoung(pfn_pmd(folio_pfn(folio), vma->vm_flags & VM_WRITE));
	set_pmd_at(mm, haddr, pmdp, write ? pmd_mkdirty(entry) : entry);
	spin_unlock(&mm->page_table_lock);
	return 0;
}

/*
 * May a write fault reuse the PMD-mapped anon @folio, which is not
 * PageAnonExclusive?  6.12: only if its refcount is the PMD's reference alone,
 * checked under the folio lock (no new mapping or GUP reference can appear then
 * through the PMD we hold locked).
 *   knob cow-reuse-by-mapcount: mapped by this PMD only, whoever holds references
 *   (reuse_swap_page() of the pre-2020 kernel: the THP half of CVE-2020-29374,
 *   which do_wp_page()'s 5.9 fix left in do_huge_pmd_wp_page() until 5.18);
 *   knob cow-reuse-by-refcount: the refcount rule alone, as in 5.18 (David
 *   Hildenbrand, "mm/huge_memory: streamline COW logic in do_huge_pmd_wp_page()"),
 *   before PageAnonExclusive.
 * Context: the PMD lock and the folio lock held.
 */
static bool wp_can_reuse_anon_pmd_folio(struct folio *folio)
{
	if (knob_enabled(KNOB_COW_REUSE_BY_MAPCOUNT))
		return folio_mapcount(folio) == 1;
	return folio_ref_count(folio) == 1;
}

/*
 * Models: do_huge_pmd_wp_page() (6.12): under the PMD lock, a PageAnonExclusive
 * folio is reused at once; otherwise take the folio lock (dropping the PMD lock
 * to sleep for it, then re-checking the PMD), look at PageAnonExclusive again,
 * and reuse the folio if wp_can_reuse_anon_pmd_folio() proves it unique, making
 * it exclusive.  Anything else splits the PMD and lets the PTE fault copy the
 * one page.  An unshare fault reuses without changing the PMD.
 * Context: mmap_lock or the VMA lock held for read.
 */
int do_huge_pmd_wp_page(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr, pmd_t orig_pmd,
			bool unshare)
{
	struct mm_struct *mm = vma->vm_mm;
	vma_assert_locked(vma);
	spin_lock(&mm->page_table_lock);
	if (!pmd_same(pmdp_get(mm, pmdp), orig_pmd)) {
		spin_unlock(&mm->page_table_lock);
		return 0; /* changed under our feet: let the access retry */
	}
	struct folio *folio = pfn_folio(pmd_pfn(orig_pmd));
	/* knob cow-reuse-by-*: the kernels before PageAnonExclusive (5.19) */
	bool anon_exclusive =
	    !knob_enabled(KNOB_COW_REUSE_BY_MAPCOUNT) && !knob_enabled(KNOB_COW_REUSE_BY_REFCOUNT);
	bool reuse = anon_exclusive && PageAnonExclusive(folio);
	if (!reuse) {
		if (!folio_trylock(folio)) {
			/* the folio keeps its frame while we sleep; the PMD may change,
			 * therefore re-read it once the lock is ours */
			folio_get(folio);
			spin_unlock(&mm->page_table_lock);
			folio_lock(folio);
			spin_lock(&mm->page_table_lock);
			if (!pmd_same(pmdp_get(mm, pmdp), orig_pmd)) {
				spin_unlock(&mm->page_table_lock);
				folio_unlock(folio);
				folio_put(folio);
				return 0;
			}
			folio_put(folio);
		}
		/* exclusive meanwhile (another thread's fault reused it) */
		reuse = anon_exclusive && PageAnonExclusive(folio);
		if (!reuse && wp_can_reuse_anon_pmd_folio(folio)) {
			/* (no folio_move_anon_rmap(), as in do_wp_page(): the folio stays
			 * on the anon_vma it has, which the rmap walk of this VMA finds) */
			folio_set_anon_exclusive_pmd(folio);
			reuse = true;
		}
		folio_unlock(folio);
	}
	if (reuse) {
		/* maybe_pmd_mkwrite(): a FOLL_FORCE write to a read-only mapping reuses
		 * the folio but leaves the PMD read-only (can_follow_write_pmd()) */
		pmd_t entry = pmd_mkyoung(pmd_mkdirty(orig_pmd));
		if (vma->vm_flags & VM_WRITE)
			entry = pmd_mkwrite(entry);
		if (!unshare)
			set_pmd_at(mm, addr, pmdp, entry);
		spin_unlock(&mm->page_table_lock);
		return 0;
	}
	spin_unlock(&mm->page_table_lock);
	/* shared: split, and let the PTE fault copy the one page */
	split_huge_pmd(vma, pmdp, addr);
	return VM_FAULT_FALLBACK;
}

pmd_t pmdp_invalidate(struct vm_area_struct *vma, unsigned long haddr, pmd_t *pmdp)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(&mm->page_table_lock);
	pmd_t old;
	if (knob_enabled(KNOB_PMDP_INVALIDATE_LOSE_DIRTY)) {
		/* knob pmdp-invalidate-lose-dirty: read, then a plain store; a dirty or
		 * young bit the walker sets in between is overwritten */
		old = pmdp_get(mm, pmdp);
		__set_pmd_at(mm, pmdp, (pmd_t){old.val | _PMD_INVALID}, MM_SITE("pmdp_establish"));
	} else {
		/* pmdp_establish(): the walker sets A/D with a cmpxchg of its own, so a
		 * failed exchange means exactly that; re-read and retry (at most twice) */
		do
			old = pmdp_get(mm, pmdp);
		while (!__pmdp_cmpxchg(mm, pmdp, old, (pmd_t){old.val | _PMD_INVALID},
				       MM_SITE("pmdp_establish")));
	}
	flush_tlb_range(vma, haddr, haddr + PMD_SIZE);
	return old;
}

/*
 * Models: __split_huge_pmd_locked() for an anonymous folio.  Context: the PMD lock
 * held, *pmdp huge.
 */
static void __split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long haddr)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(&mm->page_table_lock);
	/*
	 * pmdp_invalidate(): from here no CPU may keep using the huge translation; the
	 * PMD stays huge to software, so a racing zap of the range takes the PMD lock
	 * and waits for us instead of finding nothing to zap or flush.  One atomic
	 * exchange (pmdp_establish()): cleared and then set, the PMD would be none in
	 * between, for that zap to skip (found by the clean campaign); a cmpxchg that
	 * retries only when the walker set A/D on the PMD meanwhile (at most twice).
	 */
	pmd_t old;
	if (knob_enabled(KNOB_THP_SPLIT_CLEAR_THEN_SET)) {
		/* knob thp-split-clear-then-set: the PMD is none in between */
		old = pmdp_huge_get_and_clear(mm, haddr, pmdp);
		set_pmd_at(mm, haddr, pmdp, (pmd_t){old.val | _PMD_INVALID});
		flush_tlb_range(vma, haddr, haddr + PMD_SIZE);
	} else {
		old = pmdp_invalidate(vma, haddr, pmdp);
	}
	int table = pgtable_trans_huge_withdraw(mm, pmdp);
	struct folio *folio = pfn_folio(pmd_pfn(old));
	bool exclusive = PageAnonExclusive(folio);
	/* the table is not visible yet: no PTE lock, no step per entry; but its
	 * entries must be visible before the PMD that publishes it (below) */
	pte_t *ptes = mm_world.pte_tables[table];
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		struct folio *page = folio_page(folio, i);
		pte_t pte = pfn_pte(folio_pfn(page), pmd_write(old));
		if (old.val & _PAGE_PROTNONE) /* a NUMA hint: each PTE keeps it */
			pte = pte_mkprotnone(pte);
		if (old.val & _PAGE_DIRTY)
			pte = pte_mkdirty(pte);
		if (old.val & _PAGE_ACCESSED)
			pte = pte_mkyoung(pte);
		if (exclusive) /* nobody can reach the pages now: no PMD, no PTEs yet */
			page->flags |= 1u << PG_anon_exclusive;
		pte_init_at(&ptes[i], pte);
	}
	/* one PMD mapping becomes HPAGE_PMD_NR PTE mappings, each with its reference */
	folio_split_pmd_mapping(folio);
	folio_ref_add(folio, HPAGE_PMD_NR - 1);
	/*
	 * smp_wmb(): "make pte visible before pmd".  A walker that reads the new PMD
	 * without the PMD lock (the hardware, GUP-fast, a fault's lockless PMD read
	 * that then takes only the new table's PTL) must find the PTEs filled in.
	 * Knob split-pmd-populate-no-wmb: no barrier; in memory arm64 the PMD may
	 * become visible first and such a fault maps a new page over an entry the
	 * split is still filling.
	 */
	if (!knob_enabled(KNOB_SPLIT_PMD_POPULATE_NO_WMB))
		sb_kernel_wmb();
	__pmd_populate(mm, pmdp, (pmd_t){((uint64_t)table << _PAGE_PFN_SHIFT) | _PMD_PRESENT},
		       MM_SITE("set_pmd_at"));
}

void split_huge_pmd_locked(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr)
{
	assert_spin_locked(&vma->vm_mm->page_table_lock);
	if (pmd_trans_huge(pmdp_get(vma->vm_mm, pmdp)))
		__split_huge_pmd_locked(vma, pmdp, addr & PMD_MASK);
}

void split_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	vma_assert_locked(vma);
	if (!pmd_trans_huge(pmdp_get(mm, pmdp)))
		return;
	spin_lock(&mm->page_table_lock);
	if (pmd_trans_huge(pmdp_get(mm, pmdp)))
		__split_huge_pmd_locked(vma, pmdp, addr & PMD_MASK);
	spin_unlock(&mm->page_table_lock);
}

void split_huge_pmds(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	for (unsigned long addr = start & PMD_MASK; addr < end; addr += PMD_SIZE)
		split_huge_pmd(vma, pmd_offset(vma->vm_mm, addr), addr);
}

/*
 * Models: madvise_free_huge_pmd() (6.12) for a range that covers the huge PMD
 * whole (the caller splits one it covers in part; the kernel splits the folio
 * there, split_folio()).  Under the PMD lock: a folio mapped by another process
 * too is left alone (folio_likely_mapped_shared(), which for a PMD-mapped folio
 * is its mapcount: the model maps a THP by a PMD or by PTEs, never both), as is
 * one whose lock is taken (trylock only, under a spinlock); otherwise its dirty
 * flag is cleared under the folio lock, and a young or dirty PMD is rewritten
 * old and clean — through pmdp_invalidate(), so that it never reads none: a
 * MADV_DONTNEED of the range under mmap_lock for read skips a none PMD without
 * taking its lock (zap) and would return with the pages still mapped.  Then the
 * folio loses PG_swapbacked: lazyfree, for reclaim to discard while clean.  The
 * TLB flush is the caller's (tlb_finish_mmu()); pmdp_invalidate() flushes too.
 * Knob thp-split-clear-then-set: the PMD is cleared and set again (before
 * 58ceeb6bec86).  Returns false if the PMD is not huge any more (the caller
 * walks the PTEs), true otherwise.
 * Context: mmap_lock held for read.
 */
bool madvise_free_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmdp,
			   unsigned long addr, unsigned long next)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	SCHED_ASSERT(addr % PMD_SIZE == 0 && next - addr == PMD_SIZE);
	spin_lock(&mm->page_table_lock); /* pmd_trans_huge_lock() */
	pmd_t orig = pmdp_get(mm, pmdp);
	if (!pmd_trans_huge(orig)) {
		spin_unlock(&mm->page_table_lock);
		return false; /* split meanwhile (we waited for it on the lock) */
	}
	struct folio *folio = pfn_folio(pmd_pfn(orig));
	if (folio_mapcount(folio) > 1 || !folio_trylock(folio))
		goto out;
	if (folio_test_dirty(folio))
		(void)folio_test_clear_dirty(folio);
	folio_unlock(folio);
	if (pmd_young(orig) || pmd_dirty(orig)) {
		if (knob_enabled(KNOB_THP_SPLIT_CLEAR_THEN_SET))
			(void)pmdp_huge_get_and_clear(mm, addr, pmdp); /* none until set again */
		else
			(void)pmdp_invalidate(vma, addr, pmdp);
		/* as the kernel: the old value read above, made old and clean (A/D the
		 * walker set since are dropped on purpose: the call is discarding them) */
		set_pmd_at(mm, addr, pmdp, pmd_mkclean(pmd_mkold(orig)));
		tlb_remove_pmd_tlb_entry(tlb, addr);
	}
	folio_mark_lazyfree(folio);
out:
	spin_unlock(&mm->page_table_lock);
	return true;
}

/*
 * Models: __discard_anon_folio_pmd_locked(): a clean lazyfree THP mapped by this
 * PMD goes whole.  The PMD is cleared and flushed first (pmdp_huge_clear_flush()),
 * so that neither the walker nor GUP-fast can reach the folio any more, and only
 * then are the dirty bit and the references looked at: a write that made it
 * through (PMD dirty, or PG_dirty) or a reference beyond the isolation and the
 * mapping (a pin, GUP-fast's grab, which re-checks the PMD after it) puts the PMD
 * back.  Race, as 6.12 has it: between the clear and the set back the PMD reads
 * none to anyone who does not take the PMD lock; a MADV_DONTNEED of the range
 * (zap: a none PMD is skipped unlocked) then returns with the THP still mapped
 * once it is set back (tests/test_oracle.c replays it; the window 58ceeb6bec86
 * closed in madvise_free_huge_pmd()).  Context: the PMD lock and the folio lock
 * held.
 */
static bool __discard_anon_folio_pmd_locked(struct vm_area_struct *vma, unsigned long addr,
					    pmd_t *pmdp, struct folio *folio)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(&mm->page_table_lock);
	pmd_t orig = pmdp_get(mm, pmdp);
	if (folio_test_dirty(folio) || pmd_dirty(orig))
		return false;
	orig = pmdp_huge_get_and_clear(mm, addr, pmdp);
	flush_tlb_range(vma, addr, addr + PMD_SIZE); /* pmdp_huge_clear_flush() */
	int ref_count = folio_ref_count(folio);
	int map_count = folio_mapcount(folio);
	if (folio_test_dirty(folio) || pmd_dirty(orig) || ref_count != map_count + 1) {
		set_pmd_at(mm, addr, pmdp, orig);
		return false;
	}
	folio_remove_rmap_pmd(folio);
	/* zap_deposited_table(): never visible to any walker */
	pte_free_table((unsigned)pgtable_trans_huge_withdraw(mm, pmdp));
	folio_put(folio); /* the mapping's reference; isolation keeps it alive */
	return true;
}

bool unmap_huge_pmd_locked(struct vm_area_struct *vma, unsigned long addr, pmd_t *pmdp,
			   struct folio *folio)
{
	assert_spin_locked(&vma->vm_mm->page_table_lock);
	VM_BUG_ON(!folio_test_locked(folio));
	VM_BUG_ON(addr % PMD_SIZE);
	if (folio_test_anon(folio) && !folio_test_swapbacked(folio))
		return __discard_anon_folio_pmd_locked(vma, addr, pmdp, folio);
	return false;
}

bool zap_huge_pmd(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmdp,
		  unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	spin_lock(&mm->page_table_lock);
	if (!pmd_trans_huge(pmdp_get(mm, pmdp))) {
		spin_unlock(&mm->page_table_lock);
		return false;
	}
	pmd_t orig = pmdp_huge_get_and_clear(mm, addr, pmdp);
	tlb_remove_pmd_tlb_entry(tlb, addr);
	/* zap_deposited_table(): never visible to any walker */
	pte_free_table((unsigned)pgtable_trans_huge_withdraw(mm, pmdp));
	struct folio *folio = pfn_folio(pmd_pfn(orig));
	folio_remove_rmap_pmd(folio);
	spin_unlock(&mm->page_table_lock);
	/* tlb_remove_page_size(): the reference goes after the flush */
	if (__tlb_remove_folio_pages(tlb, folio, false))
		tlb_flush_mmu(tlb);
	return true;
}

int copy_huge_pmd(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
		  unsigned long addr)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	pmd_t *src_pmd = pmd_offset(src_mm, addr), *dst_pmd = pmd_offset(dst_mm, addr);
	int table = pte_alloc_one(dst_mm);
	if (table < 0)
		return -ENOMEM;
	spin_lock(&dst_mm->page_table_lock);
	spin_lock(&src_mm->page_table_lock);
	pmd_t pmd = pmdp_get(src_mm, src_pmd);
	int ret = 0;
	struct folio *folio = pmd_trans_huge(pmd) ? pfn_folio(pmd_pfn(pmd)) : NULL;
	if (!folio) {
		ret = -EAGAIN; /* split meanwhile: copy the PTEs */
	} else if (folio_try_dup_anon_rmap_pmd(folio)) {
		ret = -EBUSY; /* exclusive and maybe pinned: split, copy page by page */
	} else {
		folio_get(folio);
		pgtable_trans_huge_deposit(dst_mm, dst_pmd, table);
		table = -1;
		/* pmdp_set_wrprotect(): both processes copy on their next write */
		if (pmd_write(pmd)) {
			pmd_t old = pmdp_huge_get_and_clear(src_mm, addr, src_pmd);
			pmd = pmd_wrprotect(old);
			set_pmd_at(src_mm, addr, src_pmd, pmd);
		}
		set_pmd_at(dst_mm, addr, dst_pmd, pmd_mkold(pmd));
	}
	spin_unlock(&src_mm->page_table_lock);
	spin_unlock(&dst_mm->page_table_lock);
	if (table >= 0)
		pte_free_table((unsigned)table);
	if (ret == -EBUSY) {
		split_huge_pmd(src_vma, src_pmd, addr);
		ret = -EAGAIN;
	}
	return ret;
}

/* Models: can_follow_write_pmd(). */
static bool can_follow_write_pmd(pmd_t pmd, struct folio *folio, const struct vm_area_struct *vma,
				 unsigned int flags)
{
	return pmd_write(pmd) || can_follow_write_common(folio, vma, flags);
}

struct folio *follow_huge_pmd(struct vm_area_struct *vma, pmd_t *pmdp, unsigned long addr,
			      unsigned int flags, bool *unshare, bool *not_huge)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	*unshare = *not_huge = false;
	spin_lock(&mm->page_table_lock);
	pmd_t pmd = pmdp_get(mm, pmdp);
	struct folio *page = NULL;
	if (!pmd_trans_huge(pmd)) {
		*not_huge = true;
	} else if (pmd_protnone(pmd)) {
		/* !gup_can_follow_protnone(): the fault, do_huge_pmd_numa_page() */
	} else if (!(flags & FOLL_WRITE) ||
		   can_follow_write_pmd(pmd, pfn_folio(pmd_pfn(pmd)), vma, flags)) {
		page =
		    pfn_page(pmd_pfn(pmd) + (uint32_t)((addr >> PAGE_SHIFT) & (HPAGE_PMD_NR - 1)));
		struct folio *folio = page_folio(page);
		if (!pmd_write(pmd) && (flags & (FOLL_WRITE | FOLL_PIN)) == FOLL_PIN &&
		    !knob_enabled(KNOB_GUP_RO_NO_UNSHARE) && !PageAnonExclusive(folio)) {
			*unshare = true;
			page = NULL;
		} else {
			folio_get(folio);
			if (flags & FOLL_PIN)
				folio_ref_add(folio, GUP_PIN_COUNTING_BIAS - 1);
		}
	}
	spin_unlock(&mm->page_table_lock);
	return page;
}
