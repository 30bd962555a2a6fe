/* SPDX-License-Identifier: MIT */
/*
 * khugepaged's PMD collapse (also MADV_COLLAPSE), the protocol stated once
 * (mm/khugepaged.c collapse_huge_page()): allocate the huge folio; take mmap_lock
 * for write, write-lock the VMA and the anon_vma (rmap walkers stay out); under
 * the PMD lock clear the PMD and flush (pmdp_collapse_flush); send the IPI that
 * waits out GUP-fast walkers with interrupts off (tlb_remove_table_sync_one);
 * under the detached table's PTL isolate every page: present, anonymous, mapped
 * once, lockable, and referenced by its mapping alone (a pin aborts); on any
 * failure re-install the *same* table and back off; else drop the anon_vma
 * lock, copy every page into the huge folio, clear the old PTEs and free the
 * pages, and publish the huge PMD, the old table deposited.
 *
 * Knobs: collapse-no-refcount-check collapses pinned pages;
 * collapse-backoff-clears-ptes clears each PTE as its page is isolated (the
 * read-lock variant of the seed thread), so a back-off has nothing to restore.
 *
 * Models: collapse_huge_page(), __collapse_huge_page_isolate(),
 * __collapse_huge_page_copy().  Leaves out: the khugepaged scan, swap-in,
 * max_ptes_shared (every page must be unshared; max_ptes_none is the default: any
 * number of empty PTEs, zeroes in the huge folio), mTHP
 * collapse, file/shmem collapse.
 */
#ifndef MMFUZZ_KHUGEPAGED_H
#define MMFUZZ_KHUGEPAGED_H

#include "mm.h"

/* Collapse the PMD range at @addr of @mm.  0, -EINVAL, -EAGAIN (backed off), -ENOMEM. */
int collapse_huge_page(struct mm_struct *mm, unsigned long addr);

#endif
