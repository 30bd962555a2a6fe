/* SPDX-License-Identifier: MIT */
/* Faults and zap (see memory.h). */
#include "memory.h"

#include "contpte.h"
#include "filemap.h"
#include "gup.h"
#include "huge_memory.h"
#include "hw.h"
#include "migrate.h"
#include "migrate_device.h"
#include "numa.h"
#include "page.h"
#include "pgtable.h"
#include "swap.h"
#include "tlb.h"
#include "vma.h"

struct vm_fault {
	struct vm_area_struct *vma;
	unsigned long address;
	bool write;
	bool unshare; /* FAULT_FLAG_UNSHARE: make a R/O-mapped anon page exclusive */
	pmd_t *pmd;
	pte_t *pte;
	pte_t orig_pte;
	spinlock_t *ptl;
};

static bool vma_is_shared(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_SHARED;
}

static unsigned long linear_page_index(const struct vm_area_struct *vma, unsigned long addr)
{
	return vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
}

/*
 * Install @folio at the faulting address if the PTE is still none.  The caller's
 * reference to the folio becomes the mapping's.  Returns false if another CPU
 * mapped something first (the caller drops its reference and retries).
 */
static bool finish_fault(struct vm_fault *vmf, struct folio *folio, pte_t entry)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return false;
	if (!pte_none(ptep_get(vmf->pte))) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return false;
	}
	if (folio_test_anon(folio))
		folio_add_new_anon_rmap(folio, vmf->vma, vmf->address);
	else
		folio_add_file_rmap_pte(folio, vmf->vma);
	set_pte_at(mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return true;
}

/*
 * Models: alloc_anon_folio() with one mTHP size enabled (arm64 flavour: the
 * contpte block, hugepages-16kB "always" at this scale): the aligned block around
 * the fault, if the VMA covers it and none of its PTEs is populated, read
 * locklessly here and again under the PTL.  Returns the order to try.
 */
static int anon_folio_order(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long start = vmf->address & CONT_PTE_MASK;
	if (!pgtable_contpte || start < vma->vm_start || start + CONT_PTE_SIZE > vma->vm_end)
		return 0;
	pmd_t pmd = pmdp_get(vma->vm_mm, vmf->pmd);
	if (!pmd_table_present(pmd))
		return 0;
	pte_t *pte = pte_offset_map(pmd, start);
	for (int i = 0; i < CONT_PTES; i++)
		if (!pte_none(ptep_get(pte + i)))
			return 0;
	return CONT_PTE_ORDER;
}

/*
 * Map a new large anon folio over the block at @start with set_ptes(): the PTEs
 * must all still be none.  Returns false (nothing mapped) otherwise.
 */
static bool finish_fault_large(struct vm_fault *vmf, struct folio *folio, unsigned long start,
			       pte_t entry)
{
	struct vm_area_struct *vma = vmf->vma;
	int nr = folio_nr_pages(folio);
	vmf->pte = pte_offset_map_lock(vma->vm_mm, vmf->pmd, start, &vmf->ptl);
	if (!vmf->pte)
		return false;
	for (int i = 0; i < nr; i++) {
		if (!pte_none(ptep_get(vmf->pte + i))) {
			pte_unmap_unlock(vmf->pte, vmf->ptl);
			return false;
		}
	}
	folio_ref_add(folio, nr - 1); /* a reference per PTE */
	folio_add_new_anon_rmap_ptes(folio, vma, start, nr);
	set_ptes(vma->vm_mm, start, vmf->pte, entry, nr);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return true;
}

static int do_anonymous_page(struct vm_fault *vmf)
{
	int order = anon_folio_order(vmf);
	if (order) {
		struct folio *folio = folio_alloc_order(order);
		if (folio) {
			folio->flags |= 1u << PG_anon;
			__folio_mark_uptodate(folio);
			pte_t entry = pfn_pte(folio_pfn(folio), vmf->vma->vm_flags & VM_WRITE);
			if (vmf->write)
				entry = pte_mkdirty(entry);
			if (finish_fault_large(vmf, folio, vmf->address & CONT_PTE_MASK, entry))
				return 0;
			folio_put(folio);
			return 0; /* raced with another fault: the access retries */
		}
	}
	struct folio *folio = vma_alloc_zeroed_movable_folio();
	if (!folio)
		return VM_FAULT_OOM;
	folio->flags |= 1u << PG_anon;
	/* the clear before the PTE: paired with the walker's (or GUP-fast's) read of
	 * the PTE, then of the page through it */
	__folio_mark_uptodate(folio);
	pte_t entry = pfn_pte(folio_pfn(folio), vmf->vma->vm_flags & VM_WRITE);
	if (vmf->write)
		entry = pte_mkdirty(entry);
	if (!finish_fault(vmf, folio, entry))
		folio_put(folio);
	return 0;
}

/* A new anon folio with the content of page @src (COW). */
static struct folio *folio_copy_anon(struct folio *src)
{
	struct folio *new = folio_alloc();
	if (!new)
		return NULL;
	new->flags |= 1u << PG_anon;
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++)
		folio_copy_word(new, src, w);
	__folio_mark_uptodate(new); /* the copy before the PTE that maps it */
	return new;
}

/*
 * filemap_fault() returns the folio locked; the fault maps it and unlocks it.  The
 * folio lock is what orders faults against writeback (folio_clear_dirty_for_io()
 * runs with the folio locked from folio_mkclean() to the end of the copy).
 */
#define FAULT_AROUND_PAGES 4

/*
 * Models: do_fault_around() -> filemap_map_pages(): under RCU and the PTE lock,
 * map read-only the page-cache pages of the window around the fault that are
 * already there and can be locked without waiting (folio_trylock(): the PTL is
 * held, and writeback takes the PTL under the folio lock).  Returns true if the
 * faulting address itself got mapped.
 */
static bool do_fault_around(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct address_space *mapping = vma->vm_file;
	unsigned long window = FAULT_AROUND_PAGES * PAGE_SIZE;
	unsigned long start = vmf->address & ~(window - 1), end = start + window;
	if (start < vma->vm_start)
		start = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	end = pmd_addr_end(start, end);
	bool mapped_fault = false;
	rcu_read_lock();
	spinlock_t *ptl;
	pte_t *pte = pte_offset_map_lock(mm, vmf->pmd, start, &ptl);
	if (!pte) {
		rcu_read_unlock();
		return false;
	}
	for (unsigned long addr = start; addr < end; addr += PAGE_SIZE, pte++) {
		unsigned long index = linear_page_index(vma, addr);
		SCHED_YIELD("xa_load",
			    SCHED_OBJ(OBJ_MAPPING, (uint32_t)mapping->id * FILE_PAGES + index),
			    SCHED_OP_READ);
		struct folio *folio = mapping->pages[index];
		if (!folio || !folio_trylock(folio))
			continue;
		folio_get(folio);
		if (pte_none(ptep_get(pte))) {
			folio_add_file_rmap_pte(folio, vma);
			set_pte_at(mm, addr, pte, pfn_pte(folio_pfn(folio), false));
			mapped_fault |= addr == vmf->address;
		} else {
			folio_put(folio);
		}
		folio_unlock(folio);
	}
	pte_unmap_unlock(pte, ptl);
	rcu_read_unlock();
	return mapped_fault;
}

static int do_read_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	if (do_fault_around(vmf))
		return 0;
	struct folio *folio = filemap_get_folio(vma->vm_file, linear_page_index(vma, vmf->address));
	if (!folio)
		return VM_FAULT_OOM;
	folio_lock(folio);
	/* write-notify: even a writable shared mapping is mapped read-only until the
	 * first write, so that the write faults and dirties the folio */
	bool mapped = finish_fault(vmf, folio, pfn_pte(folio_pfn(folio), false));
	folio_unlock(folio);
	if (!mapped)
		folio_put(folio);
	return 0;
}

static int do_cow_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio = filemap_get_folio(vma->vm_file, linear_page_index(vma, vmf->address));
	if (!folio)
		return VM_FAULT_OOM;
	struct folio *new = folio_copy_anon(folio);
	folio_put(folio);
	if (!new)
		return VM_FAULT_OOM;
	/* maybe_mkwrite(): a FOLL_FORCE write breaks COW in a read-only mapping too */
	bool writable = vma->vm_flags & VM_WRITE;
	if (!finish_fault(vmf, new, pte_mkdirty(pfn_pte(folio_pfn(new), writable)))) {
		folio_put(new);
		return 0;
	}
	return VM_FAULT_WRITE;
}

/*
 * Models: do_shared_fault() on a filesystem with ->page_mkwrite (ext4-like): the
 * folio is locked across do_page_mkwrite(), finish_fault() and
 * fault_dirty_shared_page(), so a writable PTE never appears while writeback is
 * between folio_mkclean() and the copy to disk.
 */
static int do_shared_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct folio *folio = filemap_get_folio(vma->vm_file, linear_page_index(vma, vmf->address));
	if (!folio)
		return VM_FAULT_OOM;
	folio_lock(folio);
	folio_get(folio); /* held across fault_dirty_shared_page() */
	bool mapped = finish_fault(vmf, folio, pte_mkdirty(pfn_pte(folio_pfn(folio), true)));
	if (!mapped)
		folio_put(folio);
	else
		folio_mark_dirty(folio); /* fault_dirty_shared_page() */
	folio_unlock(folio);
	folio_put(folio);
	return 0;
}

/*
 * Models: wp_page_shared() with ->page_mkwrite: drop the PTL, lock the folio
 * (waiting for writeback), re-take the PTL and re-check the PTE
 * (finish_mkwrite_fault()), make it writable and dirty, then dirty the folio and
 * unlock it (fault_dirty_shared_page()).
 * Context: PTE lock held on entry, released on return.
 */
static int wp_page_shared(struct vm_fault *vmf, struct folio *folio)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	assert_spin_locked(vmf->ptl);
	folio_get(folio);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	folio_lock(folio);
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte || !pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		/* changed under our feet (zapped, cleaned, faulted): let the access retry */
		if (vmf->pte)
			pte_unmap_unlock(vmf->pte, vmf->ptl);
		folio_unlock(folio);
		folio_put(folio);
		return 0;
	}
	pte_t entry = pte_mkyoung(pte_mkdirty(pte_mkwrite(vmf->orig_pte)));
	set_pte_at(mm, vmf->address, vmf->pte, entry);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	folio_mark_dirty(folio);
	folio_unlock(folio);
	folio_put(folio);
	return 0;
}

static int do_fault(struct vm_fault *vmf)
{
	if (!vmf->write)
		return do_read_fault(vmf);
	if (!vma_is_shared(vmf->vma))
		return do_cow_fault(vmf);
	return do_shared_fault(vmf);
}

/*
 * Models: wp_can_reuse_anon_folio(): a write to an anon folio that is not
 * PageAnonExclusive may reuse it only if the refcount proves that nobody else
 * holds it — checked under the folio lock (no new mapping can appear then).
 * A KSM folio is never reused: other processes may map it any moment (ksmd).
 * Knob cow-reuse-by-mapcount: the pre-2020 rule, mapped once is enough.
 */
static bool wp_can_reuse_anon_folio(struct folio *folio)
{
	if (folio_test_ksm(folio))
		return false;
	if (knob_enabled(KNOB_COW_REUSE_BY_MAPCOUNT))
		return folio_mapcount(folio) == 1;
	if (folio_ref_count(folio) > 1)
		return false;
	if (!folio_trylock(folio))
		return false;
	bool reuse = folio_ref_count(folio) == 1; /* the mapping's reference only */
	folio_unlock(folio);
	return reuse;
}

/*
 * Models: do_wp_page() for a present, write-protected PTE (or an unshare fault).
 * Shared mappings reuse the page and dirty it (wp_page_shared); an anon page is
 * reused if it is PageAnonExclusive or provably unique, and becomes exclusive;
 * anything else is copied (wp_page_copy), with the PTL dropped for the copy and
 * the PTE re-checked.  An unshare fault changes no permission: it only makes sure
 * the page mapped is exclusive.  Knob cow-reuse-by-refcount: the 5.9-5.18 rule,
 * PageAnonExclusive does not exist: reuse only at refcount 1.
 * Context: PTE lock held on entry, released on return.
 */
static int do_wp_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	struct folio *page = pfn_page(pte_pfn(vmf->orig_pte)), *folio = page_folio(page);
	assert_spin_locked(vmf->ptl);
	if (vma_is_shared(vma) && !vmf->unshare)
		return wp_page_shared(vmf, folio);
	if (folio_test_anon(folio)) {
		bool reuse = knob_enabled(KNOB_COW_REUSE_BY_REFCOUNT)
				 ? wp_can_reuse_anon_folio(folio)
				 : PageAnonExclusive(page) || wp_can_reuse_anon_folio(folio);
		if (reuse) {
			SetPageAnonExclusive(page);
			if (!vmf->unshare) {
				pte_t entry = pte_mkyoung(pte_mkdirty(vmf->orig_pte));
				if (vma->vm_flags & VM_WRITE) /* maybe_mkwrite() */
					entry = pte_mkwrite(entry);
				set_pte_at(mm, vmf->address, vmf->pte, entry);
			}
			pte_unmap_unlock(vmf->pte, vmf->ptl);
			return vmf->unshare ? 0 : VM_FAULT_WRITE;
		}
	}
	/* a page-cache page in a private mapping: unsharing breaks COW early */
	folio_get(folio);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	int ret = 0;
	struct folio *new = folio_copy_anon(page);
	if (!new) {
		folio_put(folio);
		return VM_FAULT_OOM;
	}
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (vmf->pte && pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		ptep_clear_flush(vma, vmf->address, vmf->pte);
		folio_add_new_anon_rmap(new, vma, vmf->address);
		pte_t entry = pfn_pte(folio_pfn(new), !vmf->unshare && (vma->vm_flags & VM_WRITE));
		set_pte_at(mm, vmf->address, vmf->pte, vmf->unshare ? entry : pte_mkdirty(entry));
		folio_remove_rmap_pte(page, vma);
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		folio_put(folio); /* the old mapping's reference */
		ret = vmf->unshare ? 0 : VM_FAULT_WRITE;
	} else {
		if (vmf->pte)
			pte_unmap_unlock(vmf->pte, vmf->ptl);
		folio_put(new);
	}
	folio_put(folio);
	return ret;
}

/* Models: pte_unmap_same(): is the PTE still vmf->orig_pte, read under the PTL? */
static bool pte_unmap_same(struct vm_fault *vmf)
{
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(vmf->vma->vm_mm, vmf->pmd, vmf->address, &ptl);
	if (!ptep)
		return false;
	bool same = pte_same(ptep_get(ptep), vmf->orig_pte);
	pte_unmap_unlock(ptep, ptl);
	return same;
}

static int do_swap_page(struct vm_fault *vmf);

/* Models: handle_pte_fault().  Context: mmap_lock or the VMA lock held, no PTL. */
static int handle_pte_fault(struct vm_fault *vmf)
{
	struct mm_struct *mm = vmf->vma->vm_mm;
	vma_assert_locked(vmf->vma);
	pmd_t pmdval = pmdp_get(mm, vmf->pmd);
	if (!pmd_table_present(pmdval))
		return VM_FAULT_RETRY; /* zapped, or a huge PMD appeared: start over */
	vmf->orig_pte = ptep_get_lockless(pte_offset_map(pmdval, vmf->address));
	if (pte_none(vmf->orig_pte)) {
		if (!vmf->vma->vm_file)
			return do_anonymous_page(vmf);
		return do_fault(vmf);
	}
	if (pte_protnone(vmf->orig_pte) && vma_is_accessible(vmf->vma))
		return do_numa_page(vmf->vma, vmf->pmd, vmf->address, vmf->orig_pte);
	if (!pte_present(vmf->orig_pte)) {
		/* do_swap_page(), pte_unmap_same() first: a split (PAE) PTE may have been
		 * read half old, half new; only the value under the PTL counts */
		if (!pte_unmap_same(vmf))
			return 0; /* the access retries */
		if (is_swap_pte(vmf->orig_pte) || is_device_private_entry(vmf->orig_pte))
			return do_swap_page(vmf);
		/* the only other non-present entries are migration entries */
		VM_BUG_ON(!is_migration_entry(vmf->orig_pte));
		migration_entry_wait(mm, vmf->pmd, vmf->address);
		return 0; /* the access retries */
	}
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return VM_FAULT_RETRY;
	pte_t entry = ptep_get(vmf->pte);
	if (!pte_same(entry, vmf->orig_pte)) {
		/* changed under our feet: let the access retry */
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return 0;
	}
	if (vmf->unshare) {
		if (!pte_write(entry))
			return do_wp_page(vmf);
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return 0; /* writable: exclusive already */
	}
	if (vmf->write) {
		if (!pte_write(entry))
			return do_wp_page(vmf);
		entry = pte_mkdirty(entry);
	}
	entry = pte_mkyoung(entry);
	/* only ever adds A/D bits, never a plain store the hardware could race with */
	if (!pte_same(entry, vmf->orig_pte))
		ptep_set_access_flags(mm, vmf->address, vmf->pte, entry, vmf->write);
	flush_tlb_fix_spurious_fault(mm, vmf->address);
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	return 0;
}

int handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags)
{
	struct mm_struct *mm = vma->vm_mm;
	vma_assert_locked(vma);
	struct vm_fault vmf = {.vma = vma,
			       .address = addr,
			       .write = flags & FAULT_FLAG_WRITE,
			       .unshare = flags & FAULT_FLAG_UNSHARE};
	vmf.pmd = pmd_offset(mm, addr);
	pmd_t pmd = pmdp_get(mm, vmf.pmd);
	if (pmd_none(pmd) && thp_vma_allowable(vma, addr)) {
		int ret = do_huge_pmd_anonymous_page(vma, vmf.pmd, addr, vmf.write);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
		pmd = pmdp_get(mm, vmf.pmd);
	} else if (pmd_protnone(pmd) && !(pmd.val & _PMD_INVALID)) {
		return do_huge_pmd_numa_page(vma, vmf.pmd, addr, pmd);
	} else if (pmd_trans_huge(pmd) && !pmd_hw_valid(pmd)) {
		/* being split: wait on the PMD lock the splitter holds, then retry */
		spin_lock(&mm->page_table_lock);
		spin_unlock(&mm->page_table_lock);
		return 0;
	} else if (pmd_trans_huge(pmd)) {
		if (!(vmf.write && !pmd_write(pmd)) && !vmf.unshare)
			return 0; /* huge_pmd_set_accessed(): the walker does the rest */
		int ret = do_huge_pmd_wp_page(vma, vmf.pmd, addr, pmd, vmf.unshare);
		if (!(ret & VM_FAULT_FALLBACK))
			return ret;
		pmd = pmdp_get(mm, vmf.pmd);
	}
	if (pmd_none(pmd) && pte_alloc(mm, vmf.pmd))
		return VM_FAULT_OOM;
	return handle_pte_fault(&vmf);
}

/*
 * Models: folio_pte_batch() as zap_present_ptes() uses it, for the arm64 flavour:
 * a CONT block the range covers whole, all of it mapping consecutive pages of one
 * folio, is cleared at once (get_and_clear_full_ptes(), no unfold).  Otherwise 1.
 * Context: the PTL held.
 */
static int zap_batch(pte_t *pte, pte_t ptent, unsigned long addr, unsigned long end)
{
	assert_spin_locked(ptep_lockptr(pte));
	if (!pgtable_contpte || !pte_cont(ptent) || (addr & ~CONT_PTE_MASK) ||
	    end - addr < CONT_PTE_SIZE)
		return 1;
	for (int i = 1; i < CONT_PTES; i++) {
		pte_t next = __ptep_get(pte + i, MM_SITE("folio_pte_batch"));
		if (!pte_present(next) || pte_pfn(next) != pte_pfn(ptent) + (uint32_t)i)
			return 1;
	}
	return CONT_PTES;
}

/*
 * Models: zap_pte_range() for one PTE table.  The order is the point:
 *   clear PTE -> transfer dirty to the folio -> queue the page (delay_rmap for
 *   dirty file pages) -> flush the TLB *under the PTE lock* -> drop the delayed
 *   rmaps -> unlock -> free the pages.
 * While the flush is pending, another CPU may still write through its TLB entry;
 * keeping the mapcount until after the flush makes folio_mkclean() (writeback)
 * find the PTE and wait on our PTE lock instead of cleaning the folio under us.
 * Knobs: zap-rmap-before-flush drops the rmap at once; zap-flush-after-unlock
 * flushes (and drops the delayed rmaps) only after unlocking.
 * Context: mmap_lock held, or @vma detached (munmap's teardown, which runs
 * without mmap_lock behind a reservation: see mmap.c).
 */
static unsigned long zap_pte_range(struct mmu_gather *tlb, struct vm_area_struct *vma, pmd_t *pmdp,
				   unsigned long addr, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	if (!vma->vm_detached)
		mmap_assert_locked(mm);
	bool force_flush = false;
	spinlock_t *ptl;
	pte_t *start_pte = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!start_pte)
		return end;
	flush_tlb_batched_pending(mm);
	pte_t *pte = start_pte;
	for (; addr != end; pte++, addr += PAGE_SIZE) {
		pte_t ptent = ptep_get(pte);
		if (pte_none(ptent))
			continue;
		if (!pte_present(ptent)) {
			/* a migration entry: no TLB entry, no rmap, no reference to drop;
			 * zap_nonpresent_ptes() looks its folio up for the rss counters.  A
			 * swap entry: its slot loses a user (free_swap_and_cache()) */
			if (is_migration_entry(ptent))
				(void)pfn_swap_entry_folio(ptent);
			else if (is_swap_pte(ptent))
				free_swap_and_cache(swp_offset(ptent));
			ptep_get_and_clear_full(mm, addr, pte, tlb->fullmm);
			if (is_device_private_entry(ptent)) {
				/* a device page is mapped like any other, but by no TLB:
				 * its rmap and reference go at once (page_free() hands
				 * the last to the device) */
				struct folio *dpage = pfn_page(device_private_entry_pfn(ptent));
				folio_remove_rmap_pte(dpage, vma);
				folio_put(page_folio(dpage));
			}
			continue;
		}
		struct folio *page = pfn_page(pte_pfn(ptent)), *folio = page_folio(page);
		int nr = zap_batch(pte, ptent, addr, end);
		if (nr > 1 && tlb->nr + nr > MMU_GATHER_BATCH) {
			force_flush = true; /* no room for the whole block: flush first */
			break;
		}
		ptent = nr == 1 ? ptep_get_and_clear_full(mm, addr, pte, tlb->fullmm)
				: get_and_clear_full_ptes(mm, addr, pte, nr, tlb->fullmm);
		bool full = false;
		for (int i = 0; i < nr; i++, page++) {
			unsigned long a = addr + (unsigned long)i * PAGE_SIZE;
			tlb_remove_tlb_entry(tlb, pte + i, a);
			bool delay_rmap = false;
			if (!folio_test_anon(folio)) {
				if (pte_dirty(ptent)) {
					folio_mark_dirty(folio);
					force_flush = true;
					if (tlb_delay_rmap(tlb) &&
					    !knob_enabled(KNOB_ZAP_RMAP_BEFORE_FLUSH))
						delay_rmap = true;
				}
				if (pte_young(ptent))
					folio_mark_accessed(folio);
			}
			if (!delay_rmap)
				folio_remove_rmap_pte(page, vma);
			full = __tlb_remove_folio_pages(tlb, folio, delay_rmap);
		}
		pte += nr - 1;
		addr += (unsigned long)(nr - 1) * PAGE_SIZE;
		if (full) {
			force_flush = true;
			addr += PAGE_SIZE;
			break;
		}
	}
	bool flush_under_ptl = force_flush && !knob_enabled(KNOB_ZAP_FLUSH_AFTER_UNLOCK);
	if (flush_under_ptl) {
		tlb_flush_mmu_tlbonly(tlb);
		tlb_flush_rmaps(tlb, vma);
	}
	pte_unmap_unlock(start_pte, ptl);
	if (force_flush && !flush_under_ptl) {
		tlb_flush_mmu_tlbonly(tlb);
		tlb_flush_rmaps(tlb, vma);
	}
	if (force_flush)
		tlb_flush_mmu(tlb);
	return addr;
}

void unmap_single_vma(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long addr,
		      unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	if (!vma->vm_detached)
		mmap_assert_locked(mm);
	if (addr < vma->vm_start)
		addr = vma->vm_start;
	if (end > vma->vm_end)
		end = vma->vm_end;
	while (addr < end) {
		unsigned long next = pmd_addr_end(addr, end);
		pmd_t *pmdp = pmd_offset(mm, addr);
		pmd_t pmd = pmdp_get(mm, pmdp);
		if (pmd_none(pmd)) {
			addr = next;
			continue;
		}
		if (pmd_trans_huge(pmd)) {
			/* the whole huge PMD goes at once; a part of it needs a split.  A
			 * whole one that is not huge any more under the lock (split, or
			 * discarded by reclaim, which takes no mmap_lock or VMA lock: the
			 * VMA may be detached here) is zapped as a table, if any */
			if (addr % PMD_SIZE == 0 && next - addr == PMD_SIZE) {
				if (zap_huge_pmd(tlb, vma, pmdp, addr)) {
					addr = next;
					continue;
				}
			} else {
				split_huge_pmd(vma, pmdp, addr);
			}
		}
		/* a full batch makes zap_pte_range() stop early: continue from there */
		addr = zap_pte_range(tlb, vma, pmdp, addr, next);
	}
}

void zap_page_range_single(struct vm_area_struct *vma, unsigned long addr, unsigned long size)
{
	mmap_assert_locked(vma->vm_mm);
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, vma->vm_mm);
	unmap_single_vma(&tlb, vma, addr, addr + size);
	tlb_finish_mmu(&tlb);
}

static void madvise_free_swap_pte(struct mm_struct *mm, unsigned long addr, pte_t *pte,
				  pte_t ptent);

void madvise_free_single_vma(struct vm_area_struct *vma, unsigned long start, unsigned long end)
{
	struct mm_struct *mm = vma->vm_mm;
	mmap_assert_locked(mm);
	/* a huge PMD the range covers in part is split first (the kernel splits the
	 * folio, split_folio(), from madvise_free_huge_pmd()) */
	for (unsigned long a = start & PMD_MASK; a < end; a += PMD_SIZE)
		if (a < start || a + PMD_SIZE > end)
			split_huge_pmd(vma, pmd_offset(mm, a), a);
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	for (unsigned long addr = start; addr < end;) {
		unsigned long next;
		if (addr % PMD_SIZE == 0 && end - addr >= PMD_SIZE) {
			/* one it covers whole stays huge (madvise_free_huge_pmd()) */
			pmd_t *pmdp = pmd_offset(mm, addr);
			if (pmd_trans_huge(pmdp_get(mm, pmdp)) &&
			    madvise_free_huge_pmd(&tlb, vma, pmdp, addr, addr + PMD_SIZE)) {
				addr += PMD_SIZE;
				continue;
			}
		}
		spinlock_t *ptl;
		pte_t *pte = pte_range_lock(mm, addr, end, &next, &ptl);
		if (!pte) {
			addr = next;
			continue;
		}
		for (; addr < next; addr += PAGE_SIZE, pte++) {
			pte_t ptent = ptep_get(pte);
			if (is_swap_pte(ptent)) {
				madvise_free_swap_pte(mm, addr, pte, ptent);
				continue;
			}
			if (!pte_present(ptent))
				continue;
			struct folio *folio = pfn_folio(pte_pfn(ptent));
			if (!folio_test_anon(folio) || folio_test_large(folio) ||
			    folio_test_swapcache(folio) || folio_test_ksm(folio) ||
			    folio_mapcount(folio) != 1)
				continue; /* only exclusively mapped small anon folios (a
					   * swap-cache one is left alone: folio_free_swap() first
					   * is not modelled) */
			if (folio_test_dirty(folio)) {
				if (!folio_trylock(folio))
					continue;
				folio_test_clear_dirty(folio);
				folio_unlock(folio);
			}
			if (pte_young(ptent) || pte_dirty(ptent)) {
				ptent = ptep_get_and_clear_full(mm, addr, pte, tlb.fullmm);
				set_pte_at(mm, addr, pte,
					   __pte(pte_val(ptent) & ~(_PAGE_DIRTY | _PAGE_ACCESSED)));
				tlb_remove_tlb_entry(&tlb, pte, addr);
			}
			folio_mark_lazyfree(folio);
		}
		pte_unmap_unlock(pte, ptl);
	}
	tlb_finish_mmu(&tlb);
}

/*
 * Models: do_swap_page()'s device-private branch: the page lives in device
 * memory; the device's migrate_to_ram() (dmirror_devmem_fault()) brings it back
 * and the access retries.  Not under the per-VMA lock (migrate_to_ram() needs
 * mmap_lock: VM_FAULT_RETRY).  The reference is taken under the PTL with the
 * entry re-checked: unreferenced, the page could be migrated back and freed by
 * another fault before ours looks at it (knob device-fault-no-page-ref, before
 * 16ce101db85d).
 * Context: mmap_lock or the VMA lock held, no PTL.
 */
static int do_device_private_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	if (!rwsem_is_locked_by_me(&mm->mmap_lock))
		return VM_FAULT_RETRY; /* the caller drops the VMA lock and retries */
	struct folio *page = pfn_page(device_private_entry_pfn(vmf->orig_pte));
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte)
		return 0;
	if (!pte_same(ptep_get(vmf->pte), vmf->orig_pte)) {
		pte_unmap_unlock(vmf->pte, vmf->ptl);
		return 0; /* migrated or zapped meanwhile: the access retries */
	}
	/* knob device-fault-no-page-ref: no reference, and no fault_page for
	 * migrate_vma_*() to expect one for */
	bool ref = !knob_enabled(KNOB_DEVICE_FAULT_NO_PAGE_REF);
	if (ref)
		folio_get(page_folio(page));
	uint32_t gen = page->gen; /* for the model's wait below: read while it is live */
	pte_unmap_unlock(vmf->pte, vmf->ptl);
	/* vmf->page->pgmap->ops->migrate_to_ram(): the device's, found through the page */
	(void)page_pgmap(page);
	int ret = dmirror_devmem_fault(vma, vmf->address, ref ? page : NULL);
	if (ref)
		folio_put(page_folio(page));
	if (ret == VM_FAULT_RETRY) {
		migrate_device_wait_idle(page, gen);
		ret = 0;
	}
	return ret;
}

/*
 * Models: should_try_to_free_swap(): a write fault that is about to map a
 * swap-cache folio would have to prove by the refcount that it is the only user;
 * drop the swap cache's reference first if ours and the cache's are all there is.
 */
static bool should_try_to_free_swap(struct folio *folio, struct vm_fault *vmf)
{
	if (!folio_test_swapcache(folio))
		return false;
	return vmf->write && !folio_test_ksm(folio) && folio_ref_count(folio) == 2;
}

/*
 * Models: do_swap_page() for a small folio on the SWP_SYNCHRONOUS_IO device.
 * The folio comes from the swap cache; or, when no folio is cached and only this
 * entry names the slot, is read straight into a new folio that never enters the
 * swap cache (SWP_SYNCHRONOUS_IO's skip), with SWAP_HAS_CACHE taken by
 * swapcache_prepare() as the lock that keeps a second fault on the same entry
 * from doing the same: the first to map frees the slot, which a swap-out may
 * reuse for the same address, and the PTE would hold the same value again
 * (knob swapin-skip-cache-no-prepare: no such lock, before 13ddaf26be32).
 * Then, under the folio lock and the PTL, the PTE must still be the entry; the
 * page is exclusive if the entry says so (pte_swp_exclusive) or the folio is
 * new; an exclusive page (or one whose refcount proves it ours) maps writable in
 * a VM_WRITE VMA, and a write fault on anything else breaks COW through
 * do_wp_page().  The entry's slot loses a user (swap_free()).
 * Context: mmap_lock or the VMA lock held, no PTL; vmf->orig_pte is the entry
 * as read under the PTL (pte_unmap_same()).
 */
static int do_swap_page(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct mm_struct *mm = vma->vm_mm;
	vma_assert_locked(vma);
	if (is_device_private_entry(vmf->orig_pte))
		return do_device_private_page(vmf);
	uint32_t entry = swp_offset(vmf->orig_pte);
	bool need_clear_cache = false;
	int ret = 0;
	struct folio *folio = swap_cache_get_folio(entry), *swapcache = folio;
	if (!folio) {
		if (__swap_count(entry) == 1) {
			folio = folio_alloc();
			if (folio) {
				/* nobody sees it yet: __folio_set_locked(),
				 * __folio_set_swapbacked() */
				folio->flags |= 1u << PG_locked | 1u << PG_swapbacked;
				if (!knob_enabled(KNOB_SWAPIN_SKIP_CACHE_NO_PREPARE)) {
					if (swapcache_prepare(entry)) {
						/* another fault swaps it in: wait, then retry */
						swapcache_wait(entry);
						goto out_page;
					}
					need_clear_cache = true;
				}
				folio->swap = entry;
				swap_read_folio(folio, entry);
				/* the read's completion unlocks it (folio_end_read()) */
				folio->flags &= ~(1u << PG_locked);
			}
		} else {
			folio = read_swap_cache_async(entry);
			swapcache = folio;
		}
		if (!folio) {
			/* -ENOMEM if the entry is still there, else the access retries */
			if (pte_unmap_same(vmf))
				ret = VM_FAULT_OOM;
			goto out;
		}
	}
	folio_lock(folio);
	/* reclaimed, or freed and the frame reused, while we slept on the lock */
	if (swapcache && (!folio_test_swapcache(folio) || folio->swap != entry))
		goto out_page;
	vmf->pte = pte_offset_map_lock(mm, vmf->pmd, vmf->address, &vmf->ptl);
	if (!vmf->pte || !pte_same(ptep_get(vmf->pte), vmf->orig_pte))
		goto out_nomap;
	/* a new folio never exposed to the swap cache is certainly exclusive */
	bool exclusive = folio != swapcache || pte_swp_exclusive(vmf->orig_pte);
	swap_free(entry);
	if (should_try_to_free_swap(folio, vmf))
		(void)folio_free_swap(folio);
	pte_t pte = pfn_pte(folio_pfn(folio), false);
	bool rmap_exclusive = false;
	/* a KSM folio (reclaimed through rmap_walk_ksm()) is never exclusive */
	if (!folio_test_ksm(folio) && (exclusive || folio_ref_count(folio) == 1)) {
		if (vma->vm_flags & VM_WRITE) {
			pte = pte_mkwrite(pte);
			if (vmf->write) {
				pte = pte_mkdirty(pte);
				vmf->write = false; /* done: no do_wp_page() */
			}
		}
		rmap_exclusive = true;
	}
	if (!folio_test_anon(folio)) {
		/* a folio read from swap: anon from its first mapping on */
		folio->flags |= 1u << PG_anon;
		folio_add_new_anon_rmap(folio, vma, vmf->address);
		if (!rmap_exclusive) {
			/* __folio_set_anon(): one that may be shared gets the root anon_vma,
			 * where rmap finds every process of the fork tree */
			folio->anon_vma = vma->anon_vma->root;
			ClearPageAnonExclusive(folio);
		}
	} else {
		folio_add_anon_rmap_pte(folio, vma);
		if (rmap_exclusive)
			SetPageAnonExclusive(folio); /* RMAP_EXCLUSIVE */
	}
	set_pte_at(mm, vmf->address, vmf->pte, pte);
	folio_unlock(folio);
	if (vmf->write) {
		vmf->orig_pte = pte;
		ret = do_wp_page(vmf); /* releases the PTL */
		goto out;
	}
	pte_unmap_unlock(vmf->pte, vmf->ptl);
out:
	if (need_clear_cache)
		swapcache_clear(entry);
	return ret;
out_nomap:
	if (vmf->pte)
		pte_unmap_unlock(vmf->pte, vmf->ptl);
out_page:
	folio_unlock(folio);
	folio_put(folio);
	goto out;
}

/*
 * Models: madvise_free_pte_range() for a swap entry: the data is the process's
 * to lose, so the entry goes now (free_swap_and_cache(), then the PTE cleared).
 * Context: the PTL held.
 */
static void madvise_free_swap_pte(struct mm_struct *mm, unsigned long addr, pte_t *pte, pte_t ptent)
{
	assert_spin_locked(ptep_lockptr(pte));
	free_swap_and_cache(swp_offset(ptent));
	ptep_get_and_clear_full(mm, addr, pte, false);
}
