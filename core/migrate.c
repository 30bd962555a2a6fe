/* SPDX-License-Identifier: MIT */
/* Page migration of anonymous folios (see migrate.h). */
#include "migrate.h"

#include <errno.h>

#include "hw.h"
#include "mmap.h"
#include "page.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

#define MIGRATE_RETRIES 3 /* NR_MAX_MIGRATE_PAGES_RETRY, scaled down */

/* Models: try_to_migrate_one(): one PTE mapping @folio becomes a migration entry. */
static bool try_to_migrate_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			       void *arg)
{
	(void)arg;
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl);
	if (!ptep)
		return true;
	pte_t pteval = ptep_get(ptep);
	if (is_device_private_entry(pteval) &&
	    device_private_entry_pfn(pteval) == folio_pfn(folio)) {
		/* a device-private page's mapping: no TLB holds it, nothing to flush;
		 * it may be written if the entry says so */
		pteval = ptep_get_and_clear(mm, addr, ptep);
		pteval = pfn_pte(folio_pfn(folio), is_writable_device_private_entry(pteval));
	} else if (!pte_present(pteval) || pte_pfn(pteval) != folio_pfn(folio)) {
		pte_unmap_unlock(ptep, ptl);
		return true;
	} else {
		/* flushed before the entry is written: no CPU can store to it past the copy */
		pteval = ptep_clear_flush(vma, addr, ptep);
	}
	bool exclusive = PageAnonExclusive(folio);
	if (exclusive && folio_maybe_dma_pinned(folio)) {
		/* folio_try_share_anon_rmap_pte() refuses: a pinned page stays put */
		set_pte_at(mm, addr, ptep, pteval);
		pte_unmap_unlock(ptep, ptl);
		return false;
	}
	if (exclusive)
		ClearPageAnonExclusive(folio); /* carried by the entry from here */
	if (pte_dirty(pteval))
		folio_mark_dirty(folio);
	set_pte_at(mm, addr, ptep,
		   make_migration_entry(folio_pfn(folio), pte_write(pteval), pte_dirty(pteval),
					exclusive));
	folio_remove_rmap_pte(folio, vma);
	folio_put(folio); /* the mapping's reference */
	pte_unmap_unlock(ptep, ptl);
	return true;
}

/*
 * Models: remove_migration_pte(): a migration entry for @src maps @arg instead,
 * with the VMA's protection (protnone in a PROT_NONE VMA).
 */
static bool remove_migration_pte(struct folio *src, struct vm_area_struct *vma, unsigned long addr,
				 void *arg)
{
	struct folio *dst = arg;
	struct mm_struct *mm = vma->vm_mm;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl);
	if (!ptep)
		return true;
	pte_t entry = ptep_get(ptep);
	if (!is_migration_entry(entry) || migration_entry_pfn(entry) != folio_pfn(src)) {
		pte_unmap_unlock(ptep, ptl);
		return true;
	}
	folio_get(dst);
	pte_t pte = pfn_pte(folio_pfn(dst), is_writable_migration_entry(entry));
	if (pte_dirty(entry))
		pte = pte_mkdirty(pte);
	if (!(vma->vm_flags & VM_READ))
		pte = pte_mkprotnone(pte); /* mk_pte(vm_page_prot) of a PROT_NONE VMA */
	if (folio_is_device_private(dst))
		pte = make_device_private_entry(folio_pfn(dst), is_writable_migration_entry(entry));
	folio_add_anon_rmap_pte(dst, vma);
	if (is_exclusive_migration_entry(entry))
		SetPageAnonExclusive(dst); /* RMAP_EXCLUSIVE */
	set_pte_at(mm, addr, ptep, pte);
	pte_unmap_unlock(ptep, ptl);
	return true;
}

bool try_to_migrate(struct folio *folio)
{
	return rmap_walk_anon(folio, try_to_migrate_one, NULL, true);
}

void remove_migration_ptes(struct folio *src, struct folio *dst)
{
	rmap_walk_anon(src, remove_migration_pte, dst, true);
}

/* Models: folio_migrate_flags() + folio_copy() for an anon folio. */
static void folio_migrate_anon(struct folio *dst, struct folio *src)
{
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++)
		folio_copy_word(dst, src, w);
	/* dst is not visible yet: its metadata needs no yield points */
	if (src->flags >> PG_uptodate & 1u)
		__folio_mark_uptodate(dst); /* folio_mark_uptodate(): the copy first */
	dst->flags |= src->flags & (1u << PG_anon | 1u << PG_swapbacked | 1u << PG_dirty |
				    1u << PG_referenced | 1u << PG_lru);
	dst->anon_vma = src->anon_vma;
	dst->index = src->index;
}

int migrate_folio_anon(struct folio *src)
{
	folio_lock(src);
	/* a KSM folio would need rmap_walk_ksm() with remove_migration_ptes(), which
	 * the model's serves try_to_unmap() only (ksm.h); PG_ksm is set under the
	 * folio lock, so the test holds */
	if (!folio_test_anon(src) || folio_test_ksm(src)) {
		folio_unlock(src);
		return -EBUSY;
	}
	struct folio *dst = folio_alloc();
	if (!dst) {
		folio_unlock(src);
		return -ENOMEM;
	}
	dst->flags |= 1u << PG_locked; /* __folio_set_locked(): nobody can see it yet */
	/* an anon_vma kept for the second walk: only a mapped folio has entries to put */
	struct anon_vma *anon_vma = folio_mapped(src) ? folio_get_anon_vma(src) : NULL;
	if (anon_vma)
		rmap_walk_anon(src, try_to_migrate_one, NULL, true);
	int rc = -EAGAIN;
	/* __folio_migrate_mapping(): only our isolation reference may remain */
	if (!folio_mapped(src) && folio_ref_count(src) == 1) {
		folio_migrate_anon(dst, src);
		rc = 0;
	}
	if (anon_vma) {
		rmap_walk_anon(src, remove_migration_pte, rc ? src : dst, true);
		put_anon_vma(anon_vma);
	}
	folio_unlock(dst);
	folio_unlock(src);
	folio_put(dst); /* the allocation's reference: its mappings hold it now */
	return rc;
}

int do_move_page(struct mm_struct *mm, unsigned long addr)
{
	addr &= ~(PAGE_SIZE - 1);
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, addr);
	int rc = -EFAULT;
	struct folio *folio = NULL;
	if (vma && vma->vm_start <= addr) {
		rc = -EINVAL;
		if (!vma->vm_file) {
			/* follow_page(): find the folio under the PTL and take a reference */
			pmd_t pmd = pmdp_get(mm, pmd_offset(mm, addr));
			rc = pmd_trans_huge(pmd) ? -EBUSY : -ENOENT; /* no THP migration */
			spinlock_t *ptl;
			pte_t *ptep =
			    pmd_table_present(pmd)
				? pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl)
				: NULL;
			if (ptep) {
				pte_t pte = ptep_get(ptep);
				if (pte_present(pte) && folio_test_large(pfn_folio(pte_pfn(pte)))) {
					rc = -EBUSY; /* large folios are not migrated here */
				} else if (pte_present(pte)) {
					folio = pfn_folio(pte_pfn(pte));
					folio_get(folio); /* folio_isolate_lru() */
				}
				pte_unmap_unlock(ptep, ptl);
			}
		}
	}
	mmap_read_unlock(mm);
	if (!folio)
		return rc;
	for (int tries = 0; tries < MIGRATE_RETRIES; tries++)
		if ((rc = migrate_folio_anon(folio)) != -EAGAIN)
			break;
	folio_put(folio);
	return rc;
}

struct folio *pfn_swap_entry_folio(pte_t entry)
{
	struct folio *folio = pfn_folio(migration_entry_pfn(entry));
	if (is_migration_entry(entry) && !folio_test_locked(folio))
		sched_finding(mm_oracle_names[ORACLE_MM_BUG], MM_SITE("VM_BUG_ON"), NULL,
			      1u << sched_current(),
			      "%s meets a migration entry for frame %u, whose folio is not locked: "
			      "no migration will ever take it out",
			      sched_agent_name(sched_current()), folio_pfn(folio));
	return folio;
}

void migration_entry_wait(struct mm_struct *mm, pmd_t *pmdp, unsigned long addr)
{
	mm_assert_locked_at(mm, addr);
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return;
	pte_t pte = ptep_get(ptep);
	struct folio *folio = is_migration_entry(pte) ? pfn_swap_entry_folio(pte) : NULL;
	/* the folio stays locked until its migration entries are gone */
	bool got = folio && folio_try_get(folio);
	pte_unmap_unlock(ptep, ptl);
	if (!got)
		return;
	folio_lock(folio);
	folio_unlock(folio);
	folio_put(folio);
}

int migrate_misplaced_folio(struct folio *folio)
{
	int rc = -EAGAIN;
	/* migrate_pages(MIGRATE_ASYNC, MR_NUMA_MISPLACED): its retries */
	for (int tries = 0; tries < MIGRATE_RETRIES && rc == -EAGAIN; tries++)
		rc = migrate_folio_anon(folio);
	folio_put(folio); /* putback_movable_pages(), or the isolation's reference */
	return rc;
}
