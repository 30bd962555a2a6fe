/* SPDX-License-Identifier: MIT */
/* fork(): dup_mmap() and copy_page_range() (see fork.h). */
#include "fork.h"

#include <errno.h>

#include "huge_memory.h"
#include "hw.h"
#include "mmap.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "swap.h"
#include "tlb.h"
#include "vma.h"

/* A private mapping: writes go to anonymous copies (is_cow_mapping()). */
static bool is_cow_mapping(const struct vm_area_struct *vma)
{
	return !(vma->vm_flags & VM_SHARED);
}

/*
 * Models: copy_present_page(): the child gets its own copy of an exclusive page
 * that may be pinned, mapped writable as the parent's (protnone in a PROT_NONE VMA).  Returns false
 * on -ENOMEM.
 */
static bool copy_present_page(struct vm_area_struct *dst_vma, unsigned long addr, pte_t *dst_pte,
			      pte_t pte, struct folio *src)
{
	struct folio *new = folio_alloc();
	if (!new)
		return false;
	new->flags |= 1u << PG_anon;
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++) /* word by word: a device may write it */
		folio_copy_word(new, src, w);
	__folio_mark_uptodate(new); /* the copy before the child's PTE */
	folio_add_new_anon_rmap(new, dst_vma, addr);
	pte_t entry = pfn_pte(folio_pfn(new), pte_write(pte));
	/* mk_pte(dst_vma->vm_page_prot): still no access in a PROT_NONE VMA; a NUMA
	 * hinting entry of the parent's becomes an ordinary one (the child's VMA is
	 * accessible) */
	if (!(dst_vma->vm_flags & VM_READ))
		entry = pte_mkprotnone(entry);
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, entry);
	return true;
}

static bool copy_nonpresent_swap_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
				     unsigned long addr, pte_t *dst_pte, pte_t *src_pte, pte_t pte);

/*
 * Models: copy_present_pte() / copy_nonpresent_pte() for one PTE.
 * Context: both PTLs held.  Returns false on -ENOMEM.
 */
static bool copy_one_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			 unsigned long addr, pte_t *dst_pte, pte_t *src_pte)
{
	assert_spin_locked(ptep_lockptr(dst_pte));
	assert_spin_locked(ptep_lockptr(src_pte));
	pte_t pte = ptep_get(src_pte);
	if (pte_none(pte))
		return true;
	bool cow = is_cow_mapping(src_vma);
	if (is_swap_pte(pte))
		return copy_nonpresent_swap_pte(dst_vma, src_vma, addr, dst_pte, src_pte, pte);
	if (is_device_private_entry(pte)) {
		/* a device page is shared like a present one (it cannot be pinned:
		 * the dup cannot fail); a COW mapping's entries become read-only, so
		 * that the first write after the migration back breaks COW */
		struct folio *page = pfn_page(device_private_entry_pfn(pte));
		folio_get(page_folio(page));
		int busy = folio_try_dup_anon_rmap_pte(page);
		VM_BUG_ON(busy);
		if (is_writable_device_private_entry(pte) && cow) {
			pte = make_readable_device_private_entry(pte);
			set_pte_at(src_vma->vm_mm, addr, src_pte, pte);
		}
		set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
		return true;
	}
	if (!pte_present(pte)) {
		/* a migration entry: both processes wait for the same migration */
		if ((pte.val & (_PAGE_SWP_MIGRATION_WRITE | _PAGE_SWP_MIGRATION_EXCL)) && cow) {
			pte = make_readable_migration_entry(pte);
			set_pte_at(src_vma->vm_mm, addr, src_pte, pte);
		}
		set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
		return true;
	}
	struct folio *page = pfn_page(pte_pfn(pte)), *folio = page_folio(page);
	folio_get(folio);
	if (folio_test_anon(folio)) {
		if (folio_try_dup_anon_rmap_pte(page)) {
			/* exclusive and maybe pinned: the pin keeps the parent's page */
			folio_put(folio);
			return copy_present_page(dst_vma, addr, dst_pte, pte, page);
		}
	} else {
		folio_add_file_rmap_pte(page, dst_vma);
	}
	if (cow && pte_write(pte)) {
		/* ptep_set_wrprotect(): the parent's next write faults, and copies */
		pte_t old = ptep_get_and_clear(src_vma->vm_mm, addr, src_pte);
		set_pte_at(src_vma->vm_mm, addr, src_pte, pte_wrprotect(old));
		pte = pte_wrprotect(old);
	}
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte_mkold(pte));
	return true;
}

/* Models: copy_pte_range() for one PMD.  Returns false on -ENOMEM. */
static bool copy_pte_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
			   unsigned long addr, unsigned long end)
{
	struct mm_struct *dst_mm = dst_vma->vm_mm, *src_mm = src_vma->vm_mm;
	pmd_t *src_pmd = pmd_offset(src_mm, addr), *dst_pmd = pmd_offset(dst_mm, addr);
	pmd_t pmd = pmdp_get(src_mm, src_pmd);
	if (pmd_trans_huge(pmd)) {
		int ret = copy_huge_pmd(dst_vma, src_vma, addr);
		if (ret != -EAGAIN)
			return ret == 0; /* else: split meanwhile, or pinned: copy the PTEs */
		pmd = pmdp_get(src_mm, src_pmd);
	}
	if (!pmd_table_present(pmd))
		return true;
	if (pmd_none(pmdp_get(dst_mm, dst_pmd)) && pte_alloc(dst_mm, dst_pmd))
		return false;
	spinlock_t *dst_ptl, *src_ptl;
	pte_t *dst_pte = pte_offset_map_lock(dst_mm, dst_pmd, addr, &dst_ptl);
	pte_t *src_pte = pte_offset_map_lock(src_mm, src_pmd, addr, &src_ptl);
	bool ok = dst_pte && src_pte;
	for (; ok && addr < end; addr += PAGE_SIZE, dst_pte++, src_pte++)
		ok = copy_one_pte(dst_vma, src_vma, addr, dst_pte, src_pte);
	if (src_pte)
		pte_unmap_unlock(src_pte, src_ptl);
	if (dst_pte)
		pte_unmap_unlock(dst_pte, dst_ptl);
	return ok;
}

/* Models: copy_page_range().  Context: both mmap_locks held for write. */
static bool copy_page_range(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma)
{
	struct mm_struct *src_mm = src_vma->vm_mm;
	mmap_assert_write_locked(src_mm);
	mmap_assert_write_locked(dst_vma->vm_mm);
	if (!src_vma->anon_vma)
		return true; /* vma_needs_copy(): shared mappings fault in the child */
	bool cow = is_cow_mapping(src_vma);
	/* GUP-fast sees the odd count and leaves pinning to the slow path, which
	 * takes mmap_lock and so waits for us */
	if (cow)
		write_seqcount_begin(&src_mm->write_protect_seq);
	bool ok = true;
	for (unsigned long addr = src_vma->vm_start; ok && addr < src_vma->vm_end;) {
		unsigned long next = pmd_addr_end(addr, src_vma->vm_end);
		ok = copy_pte_range(dst_vma, src_vma, addr, next);
		addr = next;
	}
	if (cow)
		write_seqcount_end(&src_mm->write_protect_seq);
	return ok;
}

int do_fork(struct mm_struct *oldmm, struct mm_struct *mm)
{
	if (mm == oldmm)
		return -EINVAL;
	mmap_write_lock(oldmm);
	mmap_write_lock(mm); /* mmap_write_lock_nested(): nobody else knows the child yet */
	int ret = 0;
	unsigned long index = 0;
	/* nothing mapped, and nothing reserved by a munmap() still tearing it down */
	MA_STATE(mas, &mm->mm_mt, 0, 0);
	if (mas_find(&mas, ULONG_MAX))
		ret = -EBUSY;
	if (!mm->unborn)
		ret = -EBUSY; /* the child is a new process: this one exists already */
	index = 0;
	struct vm_area_struct *mpnt;
	while (!ret && (mpnt = mt_find(&oldmm->mm_mt, &index, ULONG_MAX)) != NULL) {
		if (mpnt->vm_flags & VM_DONTCOPY) {
			/* MADV_DONTFORK: the child has nothing there; the parent's PTEs
			 * stay as they are (no write-protect, no COW to come) */
			if (!index)
				break;
			continue;
		}
		struct vm_area_struct *tmp =
		    mt_preallocate(&mm->mm_mt, 1) ? NULL : vm_area_alloc(mm);
		if (!tmp) {
			ret = -ENOMEM;
			break;
		}
		tmp->vm_start = mpnt->vm_start;
		tmp->vm_end = mpnt->vm_end;
		tmp->vm_flags = mpnt->vm_flags;
		tmp->vm_file = mpnt->vm_file;
		tmp->vm_pgoff = mpnt->vm_pgoff;
		tmp->vm_gen = mpnt->vm_gen;
		/* faults on the parent's VMA (per-VMA lock) wait until fork is done */
		vma_start_write(mpnt);
		anon_vma_fork(tmp, mpnt);
		vma_link(mm, tmp);
		if (!copy_page_range(tmp, mpnt))
			ret = -ENOMEM;
		if (!index)
			break;
	}
	/* the write-protected PTEs: no CPU may keep writing through the old TLB entries */
	flush_tlb_mm(oldmm);
	mmap_write_unlock(mm);
	mmap_write_unlock(oldmm);
	mm->unborn = false; /* the child exists now (on -ENOMEM: with what was copied) */
	return ret;
}

/*
 * Models: copy_nonpresent_pte() for a swap entry: the slot gains a user
 * (swap_duplicate()), and the entry is shared from now on: the parent's loses
 * its exclusive bit, so neither swap-in may map the page writable without
 * proving it unique.  Context: both PTLs held.  false on a bad entry (-EIO).
 */
static bool copy_nonpresent_swap_pte(struct vm_area_struct *dst_vma, struct vm_area_struct *src_vma,
				     unsigned long addr, pte_t *dst_pte, pte_t *src_pte, pte_t pte)
{
	assert_spin_locked(ptep_lockptr(dst_pte));
	assert_spin_locked(ptep_lockptr(src_pte));
	if (swap_duplicate(swp_offset(pte)) < 0)
		return false;
	if (pte_swp_exclusive(pte)) {
		pte = pte_swp_clear_exclusive(pte);
		set_pte_at(src_vma->vm_mm, addr, src_pte, pte);
	}
	set_pte_at(dst_vma->vm_mm, addr, dst_pte, pte);
	return true;
}
