/* SPDX-License-Identifier: MIT */
/* PMD and mTHP collapse, MADV_COLLAPSE and khugepaged's pass (see khugepaged.h). */
#include "khugepaged.h"

#include <errno.h>

#include "hw.h"
#include "mmap.h"
#include "page.h"
#include "pgtable.h"
#include "tlb.h"
#include "vma.h"

/* The smallest anonymous mTHP: an order-1 folio cannot be an anonymous mTHP. */
#define MTHP_ORDER_MIN 2

/*
 * Models: hugepage_vma_revalidate(): the accessible anonymous private VMA that covers the
 * whole PMD range of @addr (khugepaged and MADV_COLLAPSE work on nothing
 * smaller, whatever the order), or NULL.  Context: mmap_lock held.
 */
static struct vm_area_struct *hugepage_vma_revalidate(struct mm_struct *mm, unsigned long addr)
{
	mmap_assert_locked(mm);
	unsigned long haddr = addr & PMD_MASK;
	struct vm_area_struct *vma = find_vma(mm, haddr);
	/* nor a PROT_NONE VMA: the kernel's collapse maps it with vm_page_prot, a
	 * protnone PMD; the model keeps PROT_NONE at the PTE level (see numa.h) */
	if (!vma || vma->vm_start > haddr || vma->vm_end < haddr + PMD_SIZE || vma->vm_file ||
	    (vma->vm_flags & VM_SHARED) || !(vma->vm_flags & VM_READ))
		return NULL;
	return vma;
}

/*
 * Models: find_pmd_or_thp_or_none(): 0 if the PMD of @addr points to a PTE
 * table, -EEXIST if it is huge (collapsed already), -EINVAL if none.
 * Context: mmap_lock held.
 */
static int find_pmd_or_thp_or_none(struct mm_struct *mm, unsigned long addr)
{
	mmap_assert_locked(mm);
	pmd_t pmd = pmdp_get(mm, pmd_offset(mm, addr));
	if (pmd_trans_huge(pmd))
		return -EEXIST;
	return pmd_table_present(pmd) ? 0 : -EINVAL;
}

/*
 * Models: hpage_collapse_scan_pmd() for the 1 << @order pages at @start: a first
 * look under the PTL at what the collapse will find.  Every present page must be
 * anonymous and, for khugepaged, not mapped shared; a migration or swap entry
 * means later (the kernel swaps in up to max_ptes_swap first; not modelled); khugepaged (not
 * MADV_COLLAPSE) wants at least one present page.  0 if worth trying. Context: mmap_lock held for
 * read.
 */
static int hpage_collapse_scan(struct mm_struct *mm, unsigned long start, int order,
			       bool khugepaged)
{
	mmap_assert_locked(mm);
	if (!hugepage_vma_revalidate(mm, start))
		return -EINVAL;
	int ret = find_pmd_or_thp_or_none(mm, start);
	if (ret)
		return ret;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, start), start, &ptl);
	if (!ptep)
		return -EAGAIN; /* the table went since we looked: try again later */
	int present = 0;
	for (int i = 0; !ret && i < 1 << order; i++) {
		pte_t pte = ptep_get(&ptep[i]);
		if (pte_none(pte))
			continue;
		if (!pte_present(pte)) {
			ret = -EAGAIN; /* a migration entry (on the move) or a swap entry */
			break;
		}
		struct folio *folio = pfn_folio(pte_pfn(pte));
		/* max_ptes_shared: 0 for khugepaged here, ignored by MADV_COLLAPSE */
		if (!folio_test_anon(folio) || (khugepaged && folio_likely_mapped_shared(folio)))
			ret = -EINVAL;
		present++;
	}
	pte_unmap_unlock(ptep, ptl);
	return !ret && khugepaged && !present ? -EINVAL : ret;
}

/* Is the folio of @pages[i] one of @pages[0..i) (isolated, locked) already? */
static bool collapse_isolated_before(struct folio **pages, int i)
{
	for (int j = 0; j < i; j++)
		if (pages[j] && page_folio(pages[j]) == page_folio(pages[i]))
			return true;
	return false;
}

/*
 * Models: __collapse_huge_page_isolate() over the @nr PTEs at @ptes (mapping
 * from @start).  Context: the detached table's PTL @ptl held.  Returns how many
 * pages were isolated (locked, with a reference): @nr unless it failed.
 */
static int collapse_isolate(struct vm_area_struct *vma, unsigned long start, pte_t *ptes,
			    spinlock_t *ptl, struct folio **pages, int nr, bool is_khugepaged)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(ptl);
	bool clear = knob_enabled(KNOB_COLLAPSE_BACKOFF_CLEARS_PTES);
	for (int i = 0; i < nr; i++) {
		pte_t pte = ptep_get(&ptes[i]);
		pages[i] = NULL;
		if (pte_none(pte))
			continue; /* max_ptes_none: the new folio has zeroes there */
		if (!pte_present(pte))
			return i; /* a migration or swap entry */
		struct folio *page = pfn_page(pte_pfn(pte)), *folio = page_folio(page);
		/* a page the forked child maps too: MADV_COLLAPSE copies it and the
		 * child keeps it (max_ptes_shared, which it ignores) */
		if (!folio_test_anon(folio) || (is_khugepaged && folio_likely_mapped_shared(folio)))
			return i;
		pages[i] = page;
		if (collapse_isolated_before(pages, i))
			goto isolated; /* compound_pagelist: a large folio is taken once */
		pages[i] = NULL;
		if (!folio_trylock(folio))
			return i;
		/* is_refcount_suitable(): the mapping's reference only — a pin aborts */
		if (!knob_enabled(KNOB_COLLAPSE_NO_REFCOUNT_CHECK) &&
		    folio_ref_count(folio) != folio_mapcount(folio)) {
			folio_unlock(folio);
			return i;
		}
		folio_get(folio); /* folio_isolate_lru() */
		pages[i] = page;
	isolated:
		if (clear) {
			/* the read-lock variant: each PTE goes as its page is taken */
			ptep_get_and_clear(mm, start + ((unsigned long)i << PAGE_SHIFT), &ptes[i]);
			folio_remove_rmap_pte(page, vma);
			folio_put(folio);
		}
	}
	return nr;
}

static void collapse_release(struct folio **pages, int nr)
{
	for (int i = 0; i < nr; i++) {
		if (!pages[i] || collapse_isolated_before(pages, i))
			continue;
		struct folio *folio = page_folio(pages[i]);
		folio_unlock(folio);
		folio_put(folio); /* putback: the isolation reference */
	}
}

/*
 * Models: __collapse_huge_page_copy() and __collapse_huge_page_copy_succeeded():
 * copy the @nr isolated pages into @folio (a none PTE stays zero), then clear
 * their PTEs at @ptes and let the old pages go.  Context: mmap_lock held for
 * write, the table detached (the PMD cleared), the pages locked.
 */
static void collapse_copy(struct vm_area_struct *vma, unsigned long start, pte_t *ptes,
			  spinlock_t *ptl, struct folio *folio, struct folio **pages, int nr)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_write_locked(mm);
	for (int i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		for (int w = 0; w < MM_WORDS_PER_PAGE; w++)
			folio_copy_word(folio_page(folio, i), pages[i], w);
	}
	spin_lock(ptl);
	for (int i = 0; i < nr; i++) {
		if (pages[i] && !pte_none(ptep_get(&ptes[i]))) {
			ptep_get_and_clear(mm, start + ((unsigned long)i << PAGE_SHIFT), &ptes[i]);
			folio_remove_rmap_pte(pages[i], vma);
			folio_put(page_folio(pages[i])); /* the mapping's reference */
		}
	}
	spin_unlock(ptl);
	collapse_release(pages, nr);
}

/*
 * Models: pmdp_collapse_flush(): clear the PMD and flush its whole range; no
 * CPU translates through the table from here on.  Context: the PMD lock held.
 */
static pmd_t pmdp_collapse_flush(struct vm_area_struct *vma, unsigned long haddr, pmd_t *pmdp)
{
	assert_spin_locked(&vma->vm_mm->page_table_lock);
	pmd_t pmd = pmdp_huge_get_and_clear(vma->vm_mm, haddr, pmdp);
	flush_tlb_range(vma, haddr, haddr + PMD_SIZE);
	return pmd;
}

int collapse_huge_page(struct mm_struct *mm, unsigned long addr, int order, bool is_khugepaged)
{
	int nr = 1 << order;
	unsigned long haddr = addr & PMD_MASK;
	unsigned long start = addr & ~(((unsigned long)nr << PAGE_SHIFT) - 1);
	SCHED_ASSERT(order >= MTHP_ORDER_MIN && order <= HPAGE_PMD_ORDER);
	mmap_assert_locked(mm);
	/* the allocation may reclaim and compact: not under mmap_lock */
	mmap_read_unlock(mm);
	struct folio *folio = folio_alloc_order(order);
	if (!folio)
		return -ENOMEM;
	folio->flags |= 1u << PG_anon | 1u << PG_uptodate;
	mmap_write_lock(mm);
	/* mmap_lock was dropped: the VMA and the PMD may be different ones now */
	struct vm_area_struct *vma = hugepage_vma_revalidate(mm, haddr);
	int ret = vma ? find_pmd_or_thp_or_none(mm, haddr) : -EINVAL;
	if (ret)
		goto out_up_write;
	pmd_t *pmdp = pmd_offset(mm, haddr);
	vma_start_write(vma); /* faults under the per-VMA lock stay out */
	struct rw_semaphore *anon_vma_lock = &vma->anon_vma->root->rwsem;
	down_write(anon_vma_lock); /* anon_vma_lock_write(): rmap walkers stay out */
	spin_lock(&mm->page_table_lock);
	pmd_t pmd = pmdp_collapse_flush(vma, haddr, pmdp);
	spin_unlock(&mm->page_table_lock);
	VM_BUG_ON(!pmd_table_present(pmd)); /* stable under mmap_lock for write */
	/*
	 * A GUP-fast walker that read the PMD before we cleared it may still be
	 * reading the table, interrupts off; the flush did not wait for it if it
	 * interrupted nobody (tlb_flush_broadcast).  Wait for it here: from now on
	 * the table is ours to reuse, deposit, or have freed with the huge PMD.
	 * Knob collapse-no-ipi-sync: go on without (before 2ba99c5e0881).
	 */
	if (!knob_enabled(KNOB_COLLAPSE_NO_IPI_SYNC))
		tlb_remove_table_sync_one();
	unsigned table = pmd_table(pmd);
	spinlock_t *ptl = pte_lockptr(pmd);
	pte_t *ptes = &mm_world.pte_tables[table][pte_index(start)];
	struct folio *pages[HPAGE_PMD_NR];
	spin_lock(ptl);
	int isolated = collapse_isolate(vma, start, ptes, ptl, pages, nr, is_khugepaged);
	spin_unlock(ptl);
	if (isolated < nr) {
		/* back off: the same table goes back, whatever it still holds */
		spin_lock(&mm->page_table_lock);
		set_pmd_at(mm, haddr, pmdp, pmd); /* pmd_populate() */
		spin_unlock(&mm->page_table_lock);
		up_write(anon_vma_lock);
		collapse_release(pages, isolated);
		ret = -EAGAIN;
		goto out_up_write;
	}
	/*
	 * PMD collapse: every page the table maps is isolated and locked, an rmap
	 * walk has nothing to look for behind the cleared PMD; the lock can go.  An
	 * mTHP leaves the rest of the table mapped: a walk for one of those pages
	 * (remove_migration_ptes() restoring its PTE) would find the PMD none and
	 * miss it, so the lock stays until the table is back.  Knob
	 * collapse-anon-vma-unlock-early: it goes now either way.
	 */
	bool keep_anon_vma_locked =
	    order < HPAGE_PMD_ORDER && !knob_enabled(KNOB_COLLAPSE_ANON_VMA_UNLOCK_EARLY);
	if (!keep_anon_vma_locked)
		up_write(anon_vma_lock);
	collapse_copy(vma, start, ptes, ptl, folio, pages, nr);
	if (order == HPAGE_PMD_ORDER) {
		folio_add_new_anon_rmap_pmd(folio, vma, haddr);
		spin_lock(&mm->page_table_lock);
		pgtable_trans_huge_deposit(mm, pmdp, (int)table);
		set_pmd_at(mm, haddr, pmdp,
			   pmd_mkyoung(pfn_pmd(folio_pfn(folio), vma->vm_flags & VM_WRITE)));
		spin_unlock(&mm->page_table_lock);
	} else {
		/* the new folio's PTEs go into the detached table, then the table back
		 * under the PMD (pmd_populate() after set_ptes(): complete when seen) */
		spin_lock(&mm->page_table_lock);
		folio_ref_add(folio, nr - 1); /* one reference per PTE */
		folio_add_new_anon_rmap_ptes(folio, vma, start, nr);
		pte_t pte = pfn_pte(folio_pfn(folio), vma->vm_flags & VM_WRITE);
		set_ptes(mm, start, ptes, pte_mkyoung(pte_mkdirty(pte)), nr);
		set_pmd_at(mm, haddr, pmdp, pmd);
		spin_unlock(&mm->page_table_lock);
	}
	if (keep_anon_vma_locked)
		up_write(anon_vma_lock);
	folio = NULL;
out_up_write:
	mmap_write_unlock(mm);
	if (folio)
		folio_put(folio);
	return ret;
}

int madvise_collapse(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	int last_fail = 0, ranges = 0;
	bool locked = false;
	for (unsigned long a = (start + PMD_SIZE - 1) & PMD_MASK; a + PMD_SIZE <= end;
	     a += PMD_SIZE, ranges++) {
		if (!locked) {
			mmap_read_lock(mm);
			locked = true;
		}
		int ret = hpage_collapse_scan(mm, a, HPAGE_PMD_ORDER, false);
		if (!ret) {
			ret = collapse_huge_page(mm, a, HPAGE_PMD_ORDER, false);
			locked = false;
		}
		if (ret && ret != -EEXIST) /* SCAN_PMD_MAPPED: huge already, done */
			last_fail = ret;
	}
	if (locked)
		mmap_read_unlock(mm);
	return ranges ? last_fail : -EINVAL;
}

int khugepaged_collapse(struct mm_struct *mm, unsigned long addr, unsigned long nr_pages)
{
	int order = MTHP_ORDER_MIN;
	while (order < HPAGE_PMD_ORDER && 1ul << order < nr_pages)
		order++;
	if (nr_pages != 1ul << order || addr >= TASK_SIZE)
		return -EINVAL;
	unsigned long start = addr & ~((nr_pages << PAGE_SHIFT) - 1);
	mmap_read_lock(mm);
	int ret = hpage_collapse_scan(mm, start, order, true);
	if (ret) {
		mmap_read_unlock(mm);
		return ret;
	}
	return collapse_huge_page(mm, start, order, true);
}
