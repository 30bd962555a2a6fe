/* SPDX-License-Identifier: MIT */
/* File rmap and folio_mkclean() (see rmap.h). */
#include "rmap.h"

#include <string.h>

#include "page.h"
#include "pgtable.h"
#include "huge_memory.h"
#include "hw.h"
#include "ksm.h"
#include "swap.h"
#include "tlb.h"

void vma_link_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file;
	down_write(&mapping->i_mmap_rwsem);
	SCHED_ASSERT(mapping->nr_i_mmap <
		     (int)(sizeof(mapping->i_mmap) / sizeof(mapping->i_mmap[0])));
	mapping->i_mmap[mapping->nr_i_mmap++] = vma;
	up_write(&mapping->i_mmap_rwsem);
}

/*
 * Remove @vma from an rmap list, keeping the order of the others: an rmap walk
 * visits VMAs in link order, so mremap's new VMA (linked after the old one) is
 * visited after it and a PTE moved between them is never missed.
 */
static void rmap_list_del(struct vm_area_struct **list, int *nr, struct vm_area_struct *vma)
{
	for (int i = 0; i < *nr; i++) {
		if (list[i] != vma)
			continue;
		for (--*nr; i < *nr; i++)
			list[i] = list[i + 1];
		return;
	}
}

void vma_unlink_file(struct vm_area_struct *vma)
{
	struct address_space *mapping = vma->vm_file;
	down_write(&mapping->i_mmap_rwsem);
	rmap_list_del(mapping->i_mmap, &mapping->nr_i_mmap, vma);
	up_write(&mapping->i_mmap_rwsem);
}

static struct anon_vma *anon_vma_alloc(struct anon_vma *root)
{
	for (int i = 0; i < NR_ANON_VMAS; i++) {
		struct anon_vma *av = &mm_world.anon_vmas[i];
		if (av->used)
			continue;
		/* SLAB_TYPESAFE_BY_RCU: the lock survives reuse (a stale walker may hold it) */
		struct rw_semaphore rwsem = av->rwsem;
		memset(av, 0, sizeof(*av));
		av->rwsem = rwsem;
		av->used = true;
		av->root = root ? root : av;
		if (root)
			root->degree++;
		if (i >= mm_world.anon_vma_hwm)
			mm_world.anon_vma_hwm = i + 1;
		return av;
	}
	SCHED_ASSERT(!"anon_vma arena exhausted: one per VMA and KSM's items' are the most");
	return NULL;
}

/* The last VMA left @av and no child names it root: give it back. */
static void anon_vma_put(struct anon_vma *av)
{
	while (av && av->used && !av->nr_vmas && !av->degree && !av->refcount) {
		struct anon_vma *root = av->root;
		av->used = false;
		if (root == av)
			break;
		root->degree--;
		av = root;
	}
}

/* Chain @vma to @av (anon_vma_chain_link).  Context: takes the root's rwsem. */
static void avc_link(struct vm_area_struct *vma, struct anon_vma *av)
{
	SCHED_ASSERT(vma->nr_avc < ANON_VMA_CHAINS && av->nr_vmas < NR_VMAS);
	vma->avc[vma->nr_avc++] = av;
	down_write(&av->root->rwsem);
	av->vmas[av->nr_vmas++] = vma;
	up_write(&av->root->rwsem);
}

struct anon_vma *folio_get_anon_vma(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	struct anon_vma *av = folio->anon_vma;
	av->refcount++; /* the folio is locked and ours: its anon_vma is still live */
	av->root->refcount++;
	return av;
}

void get_anon_vma(struct anon_vma *av)
{
	av->refcount++;
	av->root->refcount++;
}

void put_anon_vma(struct anon_vma *av)
{
	struct anon_vma *root = av->root;
	av->refcount--;
	root->refcount--;
	anon_vma_put(av);
	if (root != av)
		anon_vma_put(root);
}

void anon_vma_prepare(struct vm_area_struct *vma)
{
	if (vma->anon_vma)
		return;
	vma->anon_vma = anon_vma_alloc(NULL);
	avc_link(vma, vma->anon_vma);
}

void anon_vma_clone(struct vm_area_struct *dst, const struct vm_area_struct *src)
{
	for (int i = 0; i < src->nr_avc; i++)
		avc_link(dst, src->avc[i]);
	dst->anon_vma = src->anon_vma;
}

void anon_vma_fork(struct vm_area_struct *vma, const struct vm_area_struct *pvma)
{
	if (!pvma->anon_vma)
		return;
	/* the parent's chains first: its folios may now be mapped here too */
	for (int i = 0; i < pvma->nr_avc; i++)
		if (pvma->avc[i]->root == pvma->anon_vma->root)
			avc_link(vma, pvma->avc[i]);
	vma->anon_vma = anon_vma_alloc(pvma->anon_vma->root);
	avc_link(vma, vma->anon_vma);
}

void unlink_anon_vmas(struct vm_area_struct *vma)
{
	for (int i = 0; i < vma->nr_avc; i++) {
		struct anon_vma *av = vma->avc[i];
		down_write(&av->root->rwsem);
		rmap_list_del(av->vmas, &av->nr_vmas, vma);
		up_write(&av->root->rwsem);
		anon_vma_put(av);
	}
	vma->nr_avc = 0;
	vma->anon_vma = NULL;
}

bool rmap_walk_anon(struct folio *folio, rmap_one_fn fn, void *arg, bool pinned)
{
	struct anon_vma *av = folio->anon_vma;
	bool more = true;
	struct rw_semaphore *lock = &av->root->rwsem;
	down_read(lock);
	/*
	 * folio_lock_anon_vma_read(): unless the caller keeps the anon_vma alive
	 * (folio_get_anon_vma()), only a folio still mapped is sure to have a live
	 * anon_vma, whose root is the one we locked; an unmapped one has no one to
	 * visit anyway.
	 */
	if (!pinned && !folio_mapped(folio)) {
		up_read(lock);
		return true;
	}
	/* stable while we hold the root's lock: chaining and unchaining take it for write */
	for (int i = 0; more && i < av->nr_vmas; i++) {
		struct vm_area_struct *vma = av->vmas[i];
		if (folio->index >= vma->vm_pgoff && folio->index < vma->vm_pgoff + vma_pages(vma))
			more =
			    fn(folio, vma,
			       vma->vm_start + ((folio->index - vma->vm_pgoff) << PAGE_SHIFT), arg);
	}
	up_read(lock);
	return more;
}

/*
 * Models: page_vma_mkclean_one() for one PTE: under the PTE lock, if the PTE maps
 * the folio and is writable or dirty, clear it with a flush, write-protect and
 * clean it, and set it back.  Context: i_mmap_rwsem held for read.
 */
static int page_mkclean_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr)
{
	struct mm_struct *mm = vma->vm_mm;
	lockdep_assert_held(&vma->vm_file->i_mmap_rwsem);
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl);
	if (!ptep)
		return 0;
	int cleaned = 0;
	pte_t entry = ptep_get(ptep);
	if (pte_present(entry) && pte_pfn(entry) == folio_pfn(folio) &&
	    (pte_dirty(entry) || pte_write(entry))) {
		entry = ptep_clear_flush(vma, addr, ptep);
		entry = pte_mkclean(pte_wrprotect(entry));
		set_pte_at(mm, addr, ptep, entry);
		cleaned = 1;
	}
	pte_unmap_unlock(ptep, ptl);
	return cleaned;
}

int folio_mkclean(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	/* An unmapped folio has nothing to clean: this is why zap must not drop the
	 * mapcount before its TLB flush (see zap_pte_range()). */
	if (!folio_mapped(folio)) {
		if (tlb_caches_pfn_writable(folio_pfn(folio)))
			sched_precursor(PRECURSOR_MKCLEAN_CACHED); /* fuzzer feedback */
		return 0;
	}
	struct address_space *mapping = folio->mapping;
	if (!mapping)
		return 0;
	int cleaned = 0;
	down_read(&mapping->i_mmap_rwsem);
	for (int i = 0; i < mapping->nr_i_mmap; i++) {

		/* stable: unlinking the VMA needs i_mmap_rwsem for write */
		struct vm_area_struct *vma = mapping->i_mmap[i];
		SCHED_ASSERT(vma->vm_allocated && vma->vm_file == mapping);
		if (folio->index < vma->vm_pgoff || folio->index >= vma->vm_pgoff + vma_pages(vma))
			continue;
		unsigned long addr = vma->vm_start + ((folio->index - vma->vm_pgoff) << PAGE_SHIFT);
		cleaned += page_mkclean_one(folio, vma, addr);
	}
	up_read(&mapping->i_mmap_rwsem);
	return cleaned;
}

static bool try_to_unmap_one_swap(struct folio *folio, struct vm_area_struct *vma,
				  unsigned long addr, pte_t *ptep, spinlock_t *ptl, pte_t pteval);

static bool try_to_unmap_one_large(struct folio *folio, struct vm_area_struct *vma,
				   unsigned long addr, struct tlbflush_unmap_batch *ubc);

/* One mapping of @folio at @addr: the lazyfree or swap decision (see rmap.h). */
static bool try_to_unmap_one(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			     void *arg)
{
	struct tlbflush_unmap_batch *ubc = arg;
	struct mm_struct *mm = vma->vm_mm;
	if (folio_test_large(folio))
		return try_to_unmap_one_large(folio, vma, addr, ubc);
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmd_offset(mm, addr), addr, &ptl);
	if (!ptep)
		return true; /* not mapped here any more */
	pte_t pteval = ptep_get(ptep);
	if (!pte_present(pteval) || pte_pfn(pteval) != folio_pfn(folio)) {
		pte_unmap_unlock(ptep, ptl);
		return true;
	}
	pteval = ptep_get_and_clear(mm, addr, ptep);
	set_tlb_ubc_flush_pending(ubc, mm); /* the flush comes after the whole batch */
	if (pte_dirty(pteval))
		folio_mark_dirty(folio);
	if (folio_test_swapcache(folio))
		return try_to_unmap_one_swap(folio, vma, addr, ptep, ptl, pteval);
	/* a reference beyond isolation + rmap (GUP) or a redirtied folio: keep it */
	int ref_count = folio_ref_count(folio);
	int map_count = folio_mapcount(folio);
	/* knob lazyfree-discard-pinned: no reference check (before 6c8e2a256915) */
	if ((ref_count == 1 + map_count || knob_enabled(KNOB_LAZYFREE_DISCARD_PINNED)) &&
	    !folio_test_dirty(folio)) {
		folio_remove_rmap_pte(folio, vma);
		folio_put(folio); /* the mapping's reference; isolation keeps it alive */
		pte_unmap_unlock(ptep, ptl);
		return true;
	}
	set_pte_at(mm, addr, ptep, pteval);
	folio_set_swapbacked(folio);
	pte_unmap_unlock(ptep, ptl);
	return false;
}

/*
 * Models: try_to_unmap_one() for a large lazyfree anon folio (6.12): mapped by a
 * huge PMD, the PMD is split (with knob lazyfree-thp-discard-whole, upstream's
 * path: it goes whole if it can, unmap_huge_pmd_locked(), else it is split) (TTU_SPLIT_HUGE_PMD,
 * split_huge_pmd_locked()) and each PTE that maps one of its pages is cleared (flush batched) and
 * discarded, until one is dirty or the references show a user beyond the isolation and the
 * mappings: that PTE is put back, the folio becomes swap-backed again, and the walk stops (the
 * pages discarded before were clean: the process had not written them since MADV_FREE).  Only the
 * pages in the VMA that holds the folio's first page are visited (the model's rmap walk finds a VMA
 * by the folio's index): a folio mremapped in part stays mapped, and is kept.  Context: folio
 * locked, the anon_vma lock held for read.
 */
static bool try_to_unmap_one_large(struct folio *folio, struct vm_area_struct *vma,
				   unsigned long addr, struct tlbflush_unmap_batch *ubc)
{
	struct mm_struct *mm = vma->vm_mm;
	pmd_t *pmdp = pmd_offset(mm, addr);
	VM_BUG_ON(!folio_test_locked(folio));
	SCHED_ASSERT(folio_test_anon(folio) && !folio_test_swapcache(folio));
	if (folio_nr_pages(folio) == HPAGE_PMD_NR && addr % PMD_SIZE == 0) {
		spin_lock(&mm->page_table_lock);
		pmd_t pmd = pmdp_get(mm, pmdp);
		if (pmd_trans_huge(pmd) && pmd_pfn(pmd) == folio_pfn(folio)) {
			/* knob lazyfree-thp-discard-whole: upstream's whole discard */
			if (knob_enabled(KNOB_LAZYFREE_THP_DISCARD_WHOLE) &&
			    unmap_huge_pmd_locked(vma, addr, pmdp, folio)) {
				spin_unlock(&mm->page_table_lock);
				return true;
			}
			split_huge_pmd_locked(vma, pmdp, addr);
		}
		spin_unlock(&mm->page_table_lock);
	}
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return true; /* not mapped by PTEs here (any more) */
	unsigned long end = pmd_addr_end(addr, vma->vm_end); /* this VMA, this table */
	for (int i = 0; i < folio_nr_pages(folio) && addr < end; i++, ptep++, addr += PAGE_SIZE) {
		struct folio *page = folio_page(folio, i);
		pte_t pteval = ptep_get(ptep);
		if (!pte_present(pteval) || pte_pfn(pteval) != folio_pfn(page))
			continue;
		pteval = ptep_get_and_clear(mm, addr, ptep);
		set_tlb_ubc_flush_pending(ubc, mm);
		if (pte_dirty(pteval))
			folio_mark_dirty(folio);
		int ref_count = folio_ref_count(folio);
		int map_count = folio_mapcount(folio);
		if (ref_count == 1 + map_count && !folio_test_dirty(folio)) {
			folio_remove_rmap_pte(page, vma);
			folio_put(folio); /* this mapping's reference */
			continue;
		}
		set_pte_at(mm, addr, ptep, pteval);
		folio_set_swapbacked(folio);
		pte_unmap_unlock(ptep, ptl);
		return false;
	}
	pte_unmap_unlock(ptep, ptl);
	return true;
}

bool try_to_unmap(struct folio *folio, struct tlbflush_unmap_batch *ubc)
{
	VM_BUG_ON(!folio_test_locked(folio));
	/* rmap_walk(): a KSM folio's mappings are its stable node's items */
	if (folio_test_ksm(folio))
		return rmap_walk_ksm(folio, try_to_unmap_one, ubc);
	return rmap_walk_anon(folio, try_to_unmap_one, ubc, false);
}

/*
 * Models: try_to_unmap_one() for a swap-backed anon folio in the swap cache: the
 * cleared PTE becomes a swap entry for the folio's slot, which gains a user
 * (swap_duplicate()), carrying PageAnonExclusive (pte_swp_mkexclusive()).  A page
 * that is exclusive and may be pinned must stay mapped
 * (folio_try_share_anon_rmap_pte() refuses): the PTE is put back and the walk
 * stops.  Context: the PTL held, the PTE cleared (its flush batched).
 */
static bool try_to_unmap_one_swap(struct folio *folio, struct vm_area_struct *vma,
				  unsigned long addr, pte_t *ptep, spinlock_t *ptl, pte_t pteval)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(ptl);
	uint32_t entry = folio->swap;
	bool anon_exclusive = PageAnonExclusive(folio);
	if (swap_duplicate(entry) < 0) {
		set_pte_at(mm, addr, ptep, pteval);
		pte_unmap_unlock(ptep, ptl);
		return false;
	}
	/* see folio_try_share_anon_rmap_pte(): the PTE is cleared first */
	if (anon_exclusive && folio_try_share_anon_rmap_pte(folio)) {
		swap_free(entry);
		set_pte_at(mm, addr, ptep, pteval);
		pte_unmap_unlock(ptep, ptl);
		return false;
	}
	pte_t swp_pte = swp_entry_to_pte(entry);
	if (anon_exclusive)
		swp_pte = pte_swp_mkexclusive(swp_pte);
	set_pte_at(mm, addr, ptep, swp_pte);
	folio_remove_rmap_pte(folio, vma);
	folio_put(folio); /* the mapping's reference */
	pte_unmap_unlock(ptep, ptl);
	return true;
}
