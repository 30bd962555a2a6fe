/* SPDX-License-Identifier: MIT */
/*
 * Collapse of anonymous memory into a PMD-sized folio (MADV_COLLAPSE,
 * khugepaged) or into an mTHP, a large folio of an order below the PMD's mapped
 * by PTEs (khugepaged).  The protocol, stated once (mm/khugepaged.c
 * collapse_huge_page()):
 *   1. under mmap_lock for read, look at the range (hpage_collapse_scan_pmd());
 *   2. drop mmap_lock, allocate the new folio, take mmap_lock for write and look
 *      again (the VMA, the PMD: anything may have changed meanwhile);
 *   3. write-lock the VMA and the anon_vma: page faults and rmap walkers stay out;
 *   4. under the PMD lock clear the PMD and flush (pmdp_collapse_flush()): the
 *      PTE table is detached, no CPU translates through it any more;
 *   5. tlb_remove_table_sync_one(): an IPI that waits out every GUP-fast walker
 *      that read the PMD before it was cleared, interrupts off, and may still
 *      hold a pointer into the table;
 *   6. under the detached table's PTL isolate every page of the range: present
 *      or none, anonymous, not mapped shared (khugepaged; MADV_COLLAPSE takes
 *      a page a forked child maps too: the child keeps it), lockable, and
 *      referenced by its mappings alone (a pin, a GUP reference, aborts); a
 *      PTE-mapped large folio is locked and isolated once for all its pages
 *      (compound_pagelist);
 *   7. on any failure put the *same* table back under the PMD and back off;
 *   8. copy every page into the new folio (none: zeroes), clear the old PTEs,
 *      free the old pages;
 *   9. PMD order: map the folio by a huge PMD, the old table deposited.  mTHP:
 *      map it by PTEs in the old table and put the table back under the PMD;
 *  10. the anon_vma lock goes after step 6 for a PMD collapse (every page the
 *      table maps is isolated and locked: no rmap walk can need the PMD), but
 *      only after step 9 for mTHP: the pages of the table outside the range are
 *      still mapped, and an rmap walk must not meet the transient pmd_none.
 * GUP-fast re-checks the PMD as well as the PTE after grabbing a page (gup.c).
 *
 * Knobs: collapse-no-refcount-check collapses pinned pages (step 6);
 * collapse-backoff-clears-ptes clears each PTE as its page is isolated (the
 * read-lock variant of the seed thread), so a back-off has nothing to restore;
 * collapse-no-ipi-sync skips step 5; collapse-anon-vma-unlock-early drops the
 * anon_vma lock after step 6 for mTHP too.
 *
 * Models: madvise_collapse(), hpage_collapse_scan_pmd(), collapse_huge_page()
 * with an order (Nico Pache's mTHP series), __collapse_huge_page_isolate(),
 * __collapse_huge_page_copy().  Leaves out: the khugepaged thread's scan of
 * every mm (the `khugepaged` operation names the range and the order its scan
 * chose, and may collapse where the faults would not map large folios), swap-in,
 * khugepaged's max_ptes_shared (0 here: every page must be unshared; MADV_COLLAPSE
 * ignores it), max_ptes_none (any number of empty PTEs; khugepaged wants one
 * present page), file and shmem collapse (retract_page_tables()).
 */
#ifndef MMFUZZ_KHUGEPAGED_H
#define MMFUZZ_KHUGEPAGED_H

#include "mm.h"

/*
 * Collapse the 1 << @order pages at @addr (aligned down) of @mm, steps 2 to 10;
 * @is_khugepaged: khugepaged's limits apply (MADV_COLLAPSE ignores them).
 * Context: mmap_lock held for read on entry, not held on return (the kernel's
 * *mmap_locked = false).  0, -EINVAL (no suitable VMA or PTE table), -EEXIST (a
 * huge PMD there already), -EAGAIN (backed off), -ENOMEM.
 */
int collapse_huge_page(struct mm_struct *mm, unsigned long addr, int order, bool is_khugepaged);

/*
 * Models: madvise(MADV_COLLAPSE) -> madvise_collapse(): every PMD range
 * [start, end) covers whole, collapsed synchronously; a PMD already huge counts
 * as done.  0, or the error of the last range that failed.  Context: no locks.
 */
int madvise_collapse(struct mm_struct *mm, unsigned long start, unsigned long end);

/*
 * One khugepaged pass over the @nr_pages pages at @addr: scan, then collapse to
 * order log2(@nr_pages) — an anonymous mTHP size (4 pages and up) or the PMD's.
 * 0 or -errno as collapse_huge_page(); -EINVAL for any other size.
 * Context: no locks (khugepaged's kthread).
 */
int khugepaged_collapse(struct mm_struct *mm, unsigned long addr, unsigned long nr_pages);

#endif
