/* SPDX-License-Identifier: MIT */
/* GUP-fast and the slow path, FOLL_GET (see gup.h). */
#include "gup.h"

#include <errno.h>

#include "memory.h"
#include "mmap.h"
#include "page.h"
#include "pgtable.h"

/*
 * Models: gup_fast_pte_range() for one PTE.  Context: interrupts disabled by the
 * caller.  Returns the referenced folio, or NULL: take the slow path.
 */
static struct folio *gup_fast_pte(struct mm_struct *mm, unsigned long addr, bool write)
{
	pmd_t *pmdp = pmd_offset(mm, addr);
	pmd_t pmd = pmdp_get_lockless(mm, pmdp);
	if (!pmd_present(pmd))
		return NULL;
	pte_t *ptep = pte_offset_map(pmd, addr);
	pte_t pte = ptep_get_lockless(ptep);
	bool torn = pte_lockless_torn; /* oracle bookkeeping */
	if (!pte_present(pte) || (write && !pte_write(pte)))
		return NULL;
	uint32_t pfn = pte_pfn(pte);
	if (torn)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], MM_SITE("torn_pte"), NULL,
			      1u << sched_current(),
			      "%s's GUP-fast follows P%d 0x%lx to frame %u, which that PTE never "
			      "mapped (a torn read of a PTE rewritten between its two halves)",
			      sched_agent_name(sched_current()), mm->id, addr, pfn);
	if (pfn >= NR_FRAMES)
		return NULL;
	struct folio *folio = pfn_folio(pfn);
	if (!folio_try_get(folio)) /* try_grab_folio(FOLL_GET) */
		return NULL;
	/* the PMD may have been freed and the PTE changed since we read them */
	if (!pmd_same(pmd, pmdp_get_lockless(mm, pmdp)) || !pte_same(pte, ptep_get(ptep))) {
		folio_put(folio);
		return NULL;
	}
	return folio;
}

/* Models: follow_page_pte().  Context: mmap_lock held.  NULL: fault it in. */
static struct folio *follow_page_pte(struct mm_struct *mm, unsigned long addr, bool write)
{
	pmd_t *pmdp = pmd_offset(mm, addr);
	if (!pmd_present(pmdp_get(mm, pmdp)))
		return NULL;
	spinlock_t *ptl;
	pte_t *ptep = pte_offset_map_lock(mm, pmdp, addr, &ptl);
	if (!ptep)
		return NULL;
	pte_t pte = ptep_get(ptep);
	struct folio *folio = NULL;
	if (pte_present(pte) && (!write || pte_write(pte))) {
		folio = pfn_folio(pte_pfn(pte));
		folio_get(folio);
	}
	pte_unmap_unlock(ptep, ptl);
	return folio;
}

#define GUP_FAULT_RETRIES 8 /* the kernel retries until done; bounded for the model */

struct folio *get_user_pages_fast(struct mm_struct *mm, unsigned long addr, bool write, int *err)
{
	addr &= ~(PAGE_SIZE - 1);
	unsigned long flags = local_irq_save();
	struct folio *folio = addr < TASK_SIZE ? gup_fast_pte(mm, addr, write) : NULL;
	local_irq_restore(flags);
	if (folio)
		return folio;
	*err = -EFAULT;
	struct vm_area_struct *vma = lock_mm_and_find_vma(mm, addr);
	if (!vma)
		return NULL;
	if (write && !(vma->vm_flags & VM_WRITE)) {
		mmap_read_unlock(mm);
		return NULL;
	}
	for (int tries = 0; !folio && tries < GUP_FAULT_RETRIES; tries++) {
		folio = follow_page_pte(mm, addr, write);
		if (folio)
			break;
		/* faultin_page(): the fault runs under the mmap_lock we hold */
		int fault = handle_mm_fault(vma, addr, write);
		if (fault & VM_FAULT_OOM) {
			*err = -ENOMEM;
			break;
		}
	}
	mmap_read_unlock(mm);
	return folio;
}

int gup_read_word(struct mm_struct *mm, unsigned long addr, bool write, uint64_t *val)
{
	int err = 0;
	struct folio *folio = get_user_pages_fast(mm, addr, write, &err);
	if (!folio)
		return err;
	*val = folio_read_word(folio, (int)(addr % PAGE_SIZE / sizeof(uint64_t)));
	folio_put(folio);
	return 0;
}
