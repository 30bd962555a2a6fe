/* SPDX-License-Identifier: MIT */
/* Device-private memory and migrate_vma_* (see migrate_device.h). */
#include "migrate_device.h"

#include <errno.h>

#include "memory.h"
#include "migrate.h"
#include "mmap.h"
#include "oracle/events.h"
#include "page.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"

SCHED_SITE_GLOBAL(site_device_read, "dmirror_device_read", "device_read");

struct folio *migrate_pfn_to_page(unsigned long mpfn)
{
	if (!(mpfn & MIGRATE_PFN_VALID))
		return NULL;
	return pfn_page((uint32_t)(mpfn >> MIGRATE_PFN_SHIFT));
}

/*
 * Models: migrate_vma_collect_pmd() for the PTE table of [@start, @end), one PMD.
 * Each page found is referenced and trylocked (a folio another migration holds
 * locked is skipped: waiting could deadlock two migrations on each other's
 * locks); its PTE becomes a migration entry under the PTL.  An exclusive page's
 * PTE is cleared with ptep_clear_flush(): folio_try_share_anon_rmap_pte() must
 * see no CPU able to write through a stale TLB entry.  Any other PTE is cleared
 * without a flush and the range flushed once, before the PTL is dropped: a zap
 * (MADV_DONTNEED, munmap) that takes the PTL next finds the migration entry,
 * which needs no flush, and returns; had our flush not happened yet, a CPU
 * would still translate the address after the zap returned (knob
 * migrate-device-flush-after-unlock: the flush after the unlock, before
 * 60bae7370896).  Context: mmap_lock held for read.
 */
static void migrate_vma_collect_pmd(struct migrate_vma *migrate, unsigned long start,
				    unsigned long end)
{
	struct vm_area_struct *vma = migrate->vma;
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	pmd_t *pmdp = pmd_offset(mm, start);
	pmd_t pmd = pmdp_get(mm, pmdp);
	spinlock_t *ptl = NULL;
	/* a hole: nothing to migrate (migrate_vma_insert_page() is left out); a
	 * huge PMD: skipped (the kernel splits the folio first) */
	pte_t *ptep = pmd_table_present(pmd) ? pte_offset_map_lock(mm, pmdp, start, &ptl) : NULL;
	if (!ptep) {
		for (unsigned long addr = start; addr < end; addr += PAGE_SIZE) {
			migrate->dst[migrate->npages] = 0;
			migrate->src[migrate->npages++] = 0;
		}
		return;
	}
	unsigned long unmapped = 0;
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE, ptep++) {
		unsigned long mpfn = 0;
		struct folio *page = NULL;
		pte_t pte = ptep_get(ptep);
		if (pte_none(pte)) {
			goto next; /* a hole: left out */
		} else if (!pte_present(pte)) {
			/* of the non-present entries only our device's pages migrate */
			if (!is_device_private_entry(pte) ||
			    !(migrate->flags & MIGRATE_VMA_SELECT_DEVICE_PRIVATE))
				goto next;
			page = pfn_page(device_private_entry_pfn(pte));
			mpfn = migrate_pfn(folio_pfn(page)) | MIGRATE_PFN_MIGRATE;
			if (is_writable_device_private_entry(pte))
				mpfn |= MIGRATE_PFN_WRITE;
		} else {
			if (!(migrate->flags & MIGRATE_VMA_SELECT_SYSTEM))
				goto next;
			page = pfn_page(pte_pfn(pte));
			/* file pages and large folios are not migrated to the device;
			 * nor, here, KSM folios: the kernel reaches their other mappings
			 * by rmap_walk_ksm(), which the model's reclaim uses only (as
			 * migrate.c) */
			if (!folio_test_anon(page) || folio_test_large(page_folio(page)) ||
			    folio_test_ksm(page))
				goto next;
			mpfn = migrate_pfn(pte_pfn(pte)) | MIGRATE_PFN_MIGRATE;
			if (pte_write(pte))
				mpfn |= MIGRATE_PFN_WRITE;
		}
		struct folio *folio = page_folio(page);
		/* our reference "freezes" the PTE: no other migration can take the page */
		folio_get(folio);
		if (!folio_trylock(folio)) {
			folio_put(folio);
			mpfn = 0;
			goto next;
		}
		bool anon_exclusive = PageAnonExclusive(page);
		if (anon_exclusive) {
			pte = ptep_clear_flush(vma, addr, ptep);
			if (folio_try_share_anon_rmap_pte(page)) {
				/* maybe pinned: it stays exclusive and mapped */
				set_pte_at(mm, addr, ptep, pte);
				folio_unlock(folio);
				folio_put(folio);
				mpfn = 0;
				goto next;
			}
		} else {
			pte = ptep_get_and_clear(mm, addr, ptep);
		}
		migrate->cpages++;
		/* the PTE is gone: its dirty bit goes to the folio (fd35ca3d12cc) */
		if (pte_present(pte) && pte_dirty(pte))
			folio_mark_dirty(folio);
		/* the walks of unmap and finalize need the anon_vma: the folio is
		 * locked and still mapped here, so it is live */
		migrate->anon_vma[migrate->npages] = folio_get_anon_vma(folio);
		set_pte_at(mm, addr, ptep,
			   make_migration_entry(folio_pfn(page), mpfn & MIGRATE_PFN_WRITE,
						pte_present(pte) && pte_dirty(pte),
						anon_exclusive));
		/* as an unmap: the rmap and the mapping's reference go; ours stays */
		folio_remove_rmap_pte(page, vma);
		folio_put(folio);
		if (pte_present(pte))
			unmapped++;
	next:
		migrate->dst[migrate->npages] = 0;
		migrate->src[migrate->npages++] = mpfn;
	}
	bool flush_under_ptl = !knob_enabled(KNOB_MIGRATE_DEVICE_FLUSH_AFTER_UNLOCK);
	if (unmapped && flush_under_ptl)
		flush_tlb_range(vma, start, end);
	pte_unmap_unlock(ptep - 1, ptl);
	if (unmapped && !flush_under_ptl)
		flush_tlb_range(vma, start, end);
}

/*
 * Models: migrate_vma_check_page(): may @page move?  Not if it has references
 * beyond its mappings, ours and the fault's (a pin, a GUP reference: the
 * device or the kernel would keep accessing the old page).
 */
static bool migrate_vma_check_page(struct folio *page, struct folio *fault_page)
{
	struct folio *folio = page_folio(page);
	int extra = 1 + (page == fault_page);
	if (folio_test_large(folio))
		return false;
	return folio_ref_count(folio) - extra <= folio_mapcount(folio);
}

/* Put back a page that will not move: its entries map it again. */
static void migrate_vma_restore(struct migrate_vma *migrate, unsigned long i)
{
	struct folio *folio = page_folio(migrate_pfn_to_page(migrate->src[i]));
	remove_migration_ptes(folio, folio);
	migrate->src[i] = 0;
	folio_unlock(folio);
	folio_put(folio);
	put_anon_vma(migrate->anon_vma[i]);
	migrate->anon_vma[i] = NULL;
}

/*
 * Models: migrate_device_unmap(): pages still mapped (elsewhere: another
 * process after fork) are unmapped through rmap; a page that stays mapped or
 * has references beyond ours is restored.  Device pages are on no LRU; the
 * model has no LRU isolation, our collect reference stands for it.
 * Context: mmap_lock held for read.
 */
static void migrate_vma_unmap(struct migrate_vma *migrate)
{
	unsigned long unmapped = 0;
	for (unsigned long i = 0; i < migrate->npages; i++) {
		struct folio *page = migrate_pfn_to_page(migrate->src[i]);
		if (!page)
			continue;
		struct folio *folio = page_folio(page);
		if (folio_mapped(folio))
			try_to_migrate(folio);
		if (folio_mapped(folio) || !migrate_vma_check_page(page, migrate->fault_page)) {
			migrate_vma_restore(migrate, i);
			continue;
		}
		unmapped++;
	}
	migrate->cpages = unmapped;
}

int migrate_vma_setup(struct migrate_vma *args)
{
	struct vm_area_struct *vma = args->vma;
	unsigned long nr_pages = (args->end - args->start) >> PAGE_SHIFT;
	if ((args->start | args->end) & (PAGE_SIZE - 1) || args->start >= args->end ||
	    nr_pages > MIGRATE_VMA_PAGES_MAX)
		return -EINVAL;
	if (!vma || args->start < vma->vm_start || args->end > vma->vm_end)
		return -EINVAL;
	mmap_assert_locked(vma->vm_mm);
	/* a fault_page must be a device-private page (migration back to RAM) */
	if (args->fault_page && !folio_is_device_private(args->fault_page))
		return -EINVAL;
	args->npages = 0;
	args->cpages = 0;
	/* migrate_vma_collect(): walk_page_range() over the PMDs of the range */
	for (unsigned long addr = args->start; addr < args->end;) {
		unsigned long next = pmd_addr_end(addr, args->end);
		migrate_vma_collect_pmd(args, addr, next);
		addr = next;
	}
	if (args->cpages)
		migrate_vma_unmap(args);
	return 0;
}

/* Models: folio_migrate_flags() and the anon part of folio_migrate_mapping(). */
static void migrate_device_flags(struct folio *dst, struct folio *src)
{
	/* dst is locked and not mapped yet: its metadata needs no yield points */
	dst->flags |= src->flags & (1u << PG_anon | 1u << PG_uptodate | 1u << PG_swapbacked |
				    1u << PG_dirty | 1u << PG_referenced);
	if (!folio_is_device_private(dst))
		dst->flags |= 1u << PG_lru; /* folio_add_lru() */
	dst->anon_vma = src->anon_vma;
	dst->index = src->index;
}

void migrate_vma_pages(struct migrate_vma *migrate)
{
	for (unsigned long i = 0; i < migrate->npages; i++) {
		struct folio *newpage = migrate_pfn_to_page(migrate->dst[i]);
		struct folio *page = migrate_pfn_to_page(migrate->src[i]);
		if (!newpage) {
			migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
			continue;
		}
		if (!page || !(migrate->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		struct folio *folio = page_folio(page);
		/* a swap-cache page would need folio_free_swap() first: not moved */
		if (folio_is_device_private(newpage) && folio_test_swapcache(folio)) {
			migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
			continue;
		}
		/* folio_migrate_mapping(): only our reference (and the fault's) left */
		int expected = 1 + (migrate->fault_page == page);
		if (folio_ref_count(folio) != expected) {
			migrate->src[i] &= ~MIGRATE_PFN_MIGRATE;
			continue;
		}
		migrate_device_flags(page_folio(newpage), folio);
	}
}

void migrate_vma_finalize(struct migrate_vma *migrate)
{
	for (unsigned long i = 0; i < migrate->npages; i++) {
		struct folio *newpage = migrate_pfn_to_page(migrate->dst[i]);
		struct folio *page = migrate_pfn_to_page(migrate->src[i]);
		struct folio *dst = newpage ? page_folio(newpage) : NULL;
		if (!page) {
			if (dst) {
				folio_unlock(dst);
				folio_put(dst);
			}
			continue;
		}
		struct folio *src = page_folio(page);
		if (!(migrate->src[i] & MIGRATE_PFN_MIGRATE) || !dst) {
			if (dst) {
				folio_unlock(dst);
				folio_put(dst);
			}
			dst = src;
		}
		remove_migration_ptes(src, dst);
		folio_unlock(src);
		folio_put(src); /* collect's: a moved source is freed here */
		if (dst != src) {
			folio_unlock(dst);
			folio_put(dst); /* the allocation's: its mappings hold it now */
		}
		put_anon_vma(migrate->anon_vma[i]);
		migrate->anon_vma[i] = NULL;
	}
}

/*
 * A new page for the data of @src[i]: device memory or system memory, locked
 * and invisible to anyone else until finalize maps it; the copy is the driver's
 * (a DMA engine's), word by word.
 */
static void dmirror_alloc_and_copy(struct migrate_vma *migrate, bool to_device)
{
	for (unsigned long i = 0; i < migrate->npages; i++) {
		struct folio *spage = migrate_pfn_to_page(migrate->src[i]);
		if (!spage || !(migrate->src[i] & MIGRATE_PFN_MIGRATE))
			continue;
		struct folio *dpage = folio_alloc();
		if (!dpage)
			continue; /* dst[i] stays 0: migrate_vma_pages() leaves it */
		/* zone_device_page_init() / lock_page(): nobody sees it yet */
		dpage->flags |= 1u << PG_locked;
		if (to_device)
			dpage->flags |= 1u << PG_device_private;
		for (int w = 0; w < MM_WORDS_PER_PAGE; w++)
			folio_copy_word(dpage, spage, w);
		migrate->dst[i] = migrate_pfn(folio_pfn(dpage));
	}
}

int dmirror_migrate_to_device(struct mm_struct *mm, unsigned long start, unsigned long npages)
{
	start &= ~(PAGE_SIZE - 1);
	unsigned long end = start + npages * PAGE_SIZE;
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, start);
	if (!vma || start < vma->vm_start || end > vma->vm_end) {
		mmap_read_unlock(mm);
		return -EFAULT;
	}
	if (vma->vm_file) {
		mmap_read_unlock(mm);
		return -EINVAL; /* anonymous memory only */
	}
	struct migrate_vma args = {
	    .vma = vma, .start = start, .end = end, .flags = MIGRATE_VMA_SELECT_SYSTEM};
	int ret = migrate_vma_setup(&args);
	if (ret) {
		mmap_read_unlock(mm);
		return ret;
	}
	dmirror_alloc_and_copy(&args, true);
	migrate_vma_pages(&args);
	int moved = 0;
	for (unsigned long i = 0; i < args.npages; i++)
		moved += (args.src[i] & MIGRATE_PFN_MIGRATE) && args.dst[i];
	migrate_vma_finalize(&args);
	mmap_read_unlock(mm);
	return moved;
}

int dmirror_devmem_fault(struct vm_area_struct *vma, unsigned long addr, struct folio *fault_page)
{
	mmap_assert_locked(vma->vm_mm);
	struct migrate_vma args = {.vma = vma,
				   .start = addr & ~(PAGE_SIZE - 1),
				   .end = (addr & ~(PAGE_SIZE - 1)) + PAGE_SIZE,
				   .flags = MIGRATE_VMA_SELECT_DEVICE_PRIVATE,
				   .fault_page = fault_page};
	if (migrate_vma_setup(&args))
		return VM_FAULT_SIGBUS;
	dmirror_alloc_and_copy(&args, false);
	if (args.npages && (args.src[0] & MIGRATE_PFN_MIGRATE) && !args.dst[0]) {
		migrate_vma_finalize(&args);
		return VM_FAULT_OOM;
	}
	migrate_vma_pages(&args);
	bool moved = args.npages && (args.src[0] & MIGRATE_PFN_MIGRATE);
	migrate_vma_finalize(&args);
	/* not moved: another migration of the page holds it (its lock or a
	 * reference) and the access retries; the model's caller waits for it */
	return moved ? 0 : VM_FAULT_RETRY;
}

void migrate_device_wait_idle(struct folio *page, uint32_t gen)
{
	SCHED_YIELD("migrate_device_wait_idle", folio_obj(page), SCHED_OP_READ);
	/* privileged reads, as a wait queue's condition: no yield from the
	 * caller's folio_put() to the block, so no wake-up is missed */
	while (page->allocated && page->gen == gen &&
	       (page->refcount > page->mapcount || folio_test_locked(page))) {
		struct sched_wait w = {.what = "migrate_device_wait_idle",
				       .name = "device page",
				       .obj = folio_obj(page),
				       /* whoever holds the lock or a reference: anyone */
				       .owners_mask = ~(1u << sched_current())};
		sched_block(MM_SITE("migrate_device_wait_idle"), &w, true);
	}
}

int dmirror_device_read(struct mm_struct *mm, unsigned long addr, uint64_t *val)
{
	unsigned long base = addr & ~(PAGE_SIZE - 1);
	int word = (int)(addr % PAGE_SIZE / sizeof(uint64_t));
	mmap_read_lock(mm);
	struct vm_area_struct *vma = find_vma(mm, base);
	int ret = -EFAULT;
	if (vma && vma->vm_start <= base) {
		ret = -ENOENT;
		pmd_t *pmdp = pmd_offset(mm, base);
		spinlock_t *ptl;
		pte_t *ptep = pmd_table_present(pmdp_get(mm, pmdp))
				  ? pte_offset_map_lock(mm, pmdp, base, &ptl)
				  : NULL;
		if (ptep) {
			/* the page cannot move while we hold the PTL: a migration
			 * replaces the entry under it first */
			pte_t pte = ptep_get(ptep);
			if (is_device_private_entry(pte)) {
				struct folio *page = pfn_page(device_private_entry_pfn(pte));
				*val = folio_read_word(page, word);
				oracle_user_load(sched_current(), mm, addr, folio_pfn(page), *val,
						 &site_device_read);
				ret = 0;
			}
			pte_unmap_unlock(ptep, ptl);
		}
	}
	mmap_read_unlock(mm);
	return ret;
}
