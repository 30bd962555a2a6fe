/* SPDX-License-Identifier: MIT */
/* PMD collapse (see khugepaged.h). */
#include "khugepaged.h"

#include <errno.h>

#include "huge_memory.h"
#include "hw.h"
#include "mmap.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

static void ipi_nop(int target, void *arg)
{
	(void)target;
	(void)arg;
}

/* Models: tlb_remove_table_sync_one(): an IPI to every CPU, waited for. */
static void tlb_remove_table_sync_one(void)
{
	int me = sched_current();
	uint32_t targets =
	    ((1u << NR_CPUS) - 1) & ~hw_device_agents & ~(me >= 0 && me < NR_CPUS ? 1u << me : 0u);
	sched_ipi_send_wait(targets, ipi_nop, NULL, "tlb_remove_table_sync_one");
}

/*
 * Models: __collapse_huge_page_isolate().  Context: the detached table's PTL held.
 * Returns how many pages were isolated (locked, with a reference); all of them
 * unless it failed.
 */
static int collapse_isolate(struct vm_area_struct *vma, unsigned long haddr, pte_t *ptes,
			    struct folio **pages)
{
	struct mm_struct *mm = vma->vm_mm;
	bool clear = knob_enabled(KNOB_COLLAPSE_BACKOFF_CLEARS_PTES);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		pte_t pte = ptep_get(&ptes[i]);
		pages[i] = NULL;
		if (pte_none(pte))
			continue; /* max_ptes_none: the huge folio has zeroes there */
		if (!pte_present(pte))
			return i; /* a migration entry */
		struct folio *page = pfn_page(pte_pfn(pte)), *folio = page_folio(page);
		if (!folio_test_anon(folio) || folio_test_large(folio) ||
		    folio_mapcount(folio) != 1)
			return i; /* not ours alone to collapse */
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
		if (clear) {
			/* the read-lock variant: each PTE goes as its page is taken */
			ptep_get_and_clear(mm, haddr + ((unsigned long)i << PAGE_SHIFT), &ptes[i]);
			folio_remove_rmap_pte(page, vma);
			folio_put(folio);
		}
	}
	return HPAGE_PMD_NR;
}

static void collapse_release(struct folio **pages, int nr)
{
	for (int i = 0; i < nr; i++) {
		if (!pages[i])
			continue;
		struct folio *folio = page_folio(pages[i]);
		folio_unlock(folio);
		folio_put(folio); /* putback: the isolation reference */
	}
}

int collapse_huge_page(struct mm_struct *mm, unsigned long addr)
{
	unsigned long haddr = addr & PMD_MASK;
	struct folio *hpage = folio_alloc_order(HPAGE_PMD_ORDER);
	if (!hpage)
		return -ENOMEM;
	hpage->flags |= 1u << PG_anon | 1u << PG_uptodate;
	mmap_write_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, haddr);
	pmd_t *pmdp = pmd_offset(mm, haddr);
	int ret = -EINVAL;
	/* hugepage_vma_revalidate(): an anonymous private VMA over the whole PMD */
	if (!vma || vma->vm_start > haddr || vma->vm_end < haddr + PMD_SIZE || vma->vm_file ||
	    (vma->vm_flags & VM_SHARED) || !pmd_table_present(pmdp_get(mm, pmdp)))
		goto out_unlock;
	vma_start_write(vma);
	struct rw_semaphore *anon_vma_lock = &vma->anon_vma->root->rwsem;
	down_write(anon_vma_lock); /* anon_vma_lock_write(): rmap walkers stay out */
	spin_lock(&mm->page_table_lock);
	pmd_t pmd = pmdp_huge_get_and_clear(mm, haddr, pmdp); /* pmdp_collapse_flush() */
	flush_tlb_range(vma, haddr, haddr + PMD_SIZE);
	spin_unlock(&mm->page_table_lock);
	/* GUP-fast walkers that read the old PMD with interrupts off are done after this */
	tlb_remove_table_sync_one();
	unsigned table = pmd_table(pmd);
	spinlock_t *ptl = pte_lockptr(pmd);
	pte_t *ptes = mm_pte_tables[table];
	struct folio *pages[HPAGE_PMD_NR];
	spin_lock(ptl);
	int nr = collapse_isolate(vma, haddr, ptes, pages);
	spin_unlock(ptl);
	if (nr < HPAGE_PMD_NR) {
		/* back off: the same table goes back, whatever it still holds */
		spin_lock(&mm->page_table_lock);
		set_pmd_at(mm, haddr, pmdp, pmd);
		spin_unlock(&mm->page_table_lock);
		up_write(anon_vma_lock);
		collapse_release(pages, nr);
		ret = -EAGAIN;
		goto out_unlock;
	}
	/* every page isolated and locked: rmap walkers cannot get at them now */
	up_write(anon_vma_lock);
	bool untracked = false;
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		if (!pages[i])
			continue; /* a none PTE: zero-filled */
		for (int w = 0; w < MM_WORDS_PER_PAGE; w++)
			folio_copy_word(folio_page(hpage, i), pages[i], w);
		untracked |= page_folio(pages[i])->oracle & FOLIO_ORACLE_UNTRACKED;
	}
	hpage->oracle |= untracked ? FOLIO_ORACLE_UNTRACKED : 0; /* oracle bookkeeping */
	/* __collapse_huge_page_copy_succeeded(): the old PTEs and pages go */
	spin_lock(ptl);
	for (int i = 0; i < HPAGE_PMD_NR; i++) {
		if (pages[i] && !pte_none(ptep_get(&ptes[i]))) {
			ptep_get_and_clear(mm, haddr + ((unsigned long)i << PAGE_SHIFT), &ptes[i]);
			folio_remove_rmap_pte(pages[i], vma);
			folio_put(page_folio(pages[i])); /* the mapping's reference */
		}
	}
	spin_unlock(ptl);
	collapse_release(pages, HPAGE_PMD_NR);
	folio_add_new_anon_rmap_pmd(hpage, vma, haddr);
	spin_lock(&mm->page_table_lock);
	pgtable_trans_huge_deposit(mm, pmdp, (int)table);
	set_pmd_at(mm, haddr, pmdp,
		   pmd_mkyoung(pfn_pmd(folio_pfn(hpage), vma->vm_flags & VM_WRITE)));
	spin_unlock(&mm->page_table_lock);
	hpage = NULL;
	ret = 0;
out_unlock:
	mmap_write_unlock(mm);
	if (hpage)
		folio_put(hpage);
	return ret;
}
