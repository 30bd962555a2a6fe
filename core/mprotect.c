/* SPDX-License-Identifier: MIT */
/*
 * mprotect(): change_protection() and the flush before mmap_lock drops (see
 * mmap.h), also for the NUMA scanner's change_prot_numa() (see numa.h).
 */
#include "mmap.h"

#include "huge_memory.h"
#include "hw.h"
#include "memory.h"
#include "numa.h"
#include "page.h"
#include "pgtable.h"
#include "rmap.h"
#include "tlb.h"
#include "vma.h"
#include "vms.h"

/* ---- mprotect ----------------------------------------------------------------------- */

/*
 * Models: vma_wants_manual_pte_write_upgrade(): a writable VMA whose PTEs stay
 * read-only until a write fault (private: COW; shared: write-notify, which every
 * file of the model wants, see do_shared_fault()).
 */
static bool vma_wants_manual_pte_write_upgrade(const struct vm_area_struct *vma)
{
	return vma->vm_flags & VM_WRITE;
}

/*
 * Models: can_change_pte_writable() (6.0+, 64fe24a3e05e): may mprotect(PROT_WRITE)
 * make @pte writable now, as the write fault would?  In a private mapping only
 * for an exclusive anonymous page (do_wp_page() reuses it under the PTL without
 * further checks); in a shared one only if the PTE is dirty (the filesystem was
 * told of the write already; a clean one still needs write-notify's fault).
 * Before PG_anon_exclusive (the cow-reuse-by-mapcount and cow-reuse-by-refcount
 * kernels) private mappings had no upgrade: only shared dirty PTEs were made
 * writable (dirty_accountable).
 * Context: the PTE lock held.
 */
bool can_change_pte_writable(struct vm_area_struct *vma, pte_t *ptep, pte_t pte)
{
	assert_spin_locked(ptep_lockptr(ptep));
	VM_WARN_ON(!(vma->vm_flags & VM_WRITE));
	/* no soft-dirty or uffd-wp tracking in the model: no write fault is owed to them */
	if (!(vma->vm_flags & VM_SHARED)) {
		if (knob_enabled(KNOB_COW_REUSE_BY_MAPCOUNT) ||
		    knob_enabled(KNOB_COW_REUSE_BY_REFCOUNT))
			return false;
		struct folio *page = pfn_page(pte_pfn(pte)); /* vm_normal_page() */
		return folio_test_anon(page) && PageAnonExclusive(page);
	}
	return pte_dirty(pte);
}

static void change_pte_protnone(struct mmu_gather *tlb, struct vm_area_struct *vma,
				unsigned long addr, pte_t *pte, pte_t old, unsigned int cp_flags);

/*
 * Models: change_pte_range() for one VMA part: under the PTL, rewrite each present
 * PTE (ptep_modify_prot_start/commit) to the VMA's new protection: write-protect
 * it for mprotect(PROT_READ), gathering the range for the flush; for
 * mprotect(PROT_WRITE) with MM_CP_TRY_CHANGE_WRITABLE make it writable where
 * can_change_pte_writable() allows (an upgrade needs no flush: a CPU holding the
 * read-only translation faults, finds the PTE writable and refills); make it
 * protnone for PROT_NONE and MM_CP_PROT_NUMA, accessible again for PROT_READ of
 * a protnone one (change_pte_protnone()).  Huge PMDs are split beforehand for
 * PROT_READ and PROT_NONE, left read-only for PROT_WRITE and skipped by
 * MM_CP_PROT_NUMA (no change_huge_pmd()).
 * Context: mmap_lock held for write; for MM_CP_PROT_NUMA for read (task_numa_work()).
 */
void change_protection(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long start,
		       unsigned long end, unsigned int cp_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	bool write = vma->vm_flags & VM_WRITE;
	if (cp_flags & MM_CP_PROT_NUMA)
		mmap_assert_locked(mm);
	else
		mmap_assert_write_locked(mm);
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
			if (!write && is_writable_migration_entry(old)) {
				/* the PTE that replaces it after the migration must be read-only */
				set_pte_at(mm, addr, pte,
					   make_readable_exclusive_migration_entry(old));
				continue;
			}
			if (!write && is_writable_device_private_entry(old)) {
				/* the device page's next mapping must be read-only too */
				set_pte_at(mm, addr, pte, make_readable_device_private_entry(old));
				continue;
			}
			if (!pte_present(old))
				continue;
			if ((cp_flags & MM_CP_PROT_NUMA) || !(vma->vm_flags & VM_READ) ||
			    pte_protnone(old)) {
				change_pte_protnone(tlb, vma, addr, pte, old, cp_flags);
				continue;
			}
			if (!write && pte_write(old)) {
				old = ptep_get_and_clear(mm, addr, pte);
				set_pte_at(mm, addr, pte, pte_wrprotect(old));
				tlb_remove_tlb_entry(tlb, pte, addr);
			} else if (write && (cp_flags & MM_CP_TRY_CHANGE_WRITABLE) &&
				   !pte_write(old) && can_change_pte_writable(vma, pte, old)) {
				old = ptep_get_and_clear(mm, addr, pte);
				set_pte_at(mm, addr, pte, pte_mkwrite(old));
			}
		}
		pte_unmap_unlock(pte, ptl);
	}
}

/* Is every page of [start, end) inside a VMA?  Context: mmap_lock. */
static bool mprotect_range_mapped(struct mm_struct *mm, unsigned long start, unsigned long end)
{
	for (unsigned long addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr)
			return false;
		addr = vma->vm_end;
	}
	return true;
}

int do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned int prot)
{
	if (prot & ~(PROT_READ | PROT_WRITE))
		return -EINVAL;
	bool write = prot & PROT_WRITE;
	if (start % PAGE_SIZE || !len || len > TASK_SIZE || start > TASK_SIZE - len)
		return -EINVAL;
	unsigned long end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	mmap_write_lock(mm);
	/* every page of the range must be mapped: checked up front (the kernel
	 * stops at the first hole, having changed the VMAs before it) */
	if (!mprotect_range_mapped(mm, start, end)) {
		mmap_write_unlock(mm);
		return -ENOMEM;
	}
	int ret = 0;
	struct mmu_gather tlb;
	tlb_gather_mmu(&tlb, mm);
	for (unsigned long addr = start; addr < end;) {
		struct vm_area_struct *vma = find_vma(mm, addr);
		unsigned long stop = end < vma->vm_end ? end : vma->vm_end;
		/* PROT_WRITE implies PROT_READ on x86 (and in the model) */
		uint32_t new_flags = (vma->vm_flags & ~(VM_READ | VM_WRITE)) |
				     (prot ? VM_READ : 0) | (write ? VM_WRITE : 0);
		/* mprotect_fixup(): nothing to do where the flags stay */
		if (new_flags != vma->vm_flags) {
			vma = vma_modify_flags(vma, addr, stop, new_flags);
			if (!vma) {
				ret = -ENOMEM;
				break;
			}
			if (!write) {
				split_huge_pmds(vma, addr, stop); /* no change_huge_pmd() */
				change_protection(&tlb, vma, addr, stop, 0);
			} else if (vma_wants_manual_pte_write_upgrade(vma)) {
				change_protection(&tlb, vma, addr, stop, MM_CP_TRY_CHANGE_WRITABLE);
			}
		}
		addr = stop;
	}
	tlb_finish_mmu(&tlb);
	mmap_write_unlock(mm);
	return ret;
}

/*
 * Models: change_pte_range() for the entries the MMU loses or regains: a present
 * PTE becomes protnone (pte_modify(PAGE_NONE): pfn, A and D kept, no write) for
 * PROT_NONE or a NUMA scan, its range gathered for the flush (another CPU may
 * hold the old translation until then); a protnone one becomes accessible again
 * for PROT_READ (and writable where can_change_pte_writable() allows, with
 * MM_CP_TRY_CHANGE_WRITABLE), with no flush (no TLB holds a protnone entry).
 * MM_CP_PROT_NUMA leaves alone what the scan must not hint (prot_numa_skip()):
 * entries that are protnone already, and in a COW mapping pages that may be
 * pinned or are mapped by more than one process.
 * Context: the PTE lock held.
 */
static void change_pte_protnone(struct mmu_gather *tlb, struct vm_area_struct *vma,
				unsigned long addr, pte_t *pte, pte_t old, unsigned int cp_flags)
{
	struct mm_struct *mm = vma->vm_mm;
	assert_spin_locked(ptep_lockptr(pte));
	VM_WARN_ON(!pte_present(old));
	bool prot_numa = cp_flags & MM_CP_PROT_NUMA;
	if (prot_numa || !(vma->vm_flags & VM_READ)) {
		if (pte_protnone(old))
			return;
		struct folio *folio = page_folio(pfn_page(pte_pfn(old))); /* vm_normal_folio() */
		/* folio_likely_mapped_shared(): a large folio by its first page's
		 * mapcount, which the model does not keep: taken as not shared */
		if (prot_numa && !(vma->vm_flags & VM_SHARED) &&
		    (folio_maybe_dma_pinned(folio) ||
		     (!folio_test_large(folio) && folio_mapcount(folio) > 1)))
			return;
		old = ptep_get_and_clear(mm, addr, pte);
		set_pte_at(mm, addr, pte, pte_mkprotnone(old));
		tlb_remove_tlb_entry(tlb, pte, addr);
		return;
	}
	old = ptep_get_and_clear(mm, addr, pte);
	pte_t new = pte_mkaccessible(old);
	if ((cp_flags & MM_CP_TRY_CHANGE_WRITABLE) && can_change_pte_writable(vma, pte, new))
		new = pte_mkwrite(new);
	set_pte_at(mm, addr, pte, new);
}
