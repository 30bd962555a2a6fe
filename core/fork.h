/* SPDX-License-Identifier: MIT */
/*
 * fork(): a copy of an address space, the protocol stated once (kernel/fork.c
 * dup_mmap(), mm/memory.c copy_page_range()).  Under both mmap_locks for write,
 * every VMA is duplicated and chained to its parent's anon_vmas, except those with
 * VM_DONTCOPY (MADV_DONTFORK): the child has nothing mapped there, and the
 * parent's PTEs are left alone.  For private
 * (COW) mappings the parent's write_protect_seq is odd while the PTEs are copied:
 *   - an anonymous page that is exclusive and may be pinned is copied for the
 *     child at once (copy_present_page(): the pin stays with the parent's page);
 *   - any other anonymous page stops being exclusive and is shared, its PTE
 *     write-protected in both processes (the next write copies it);
 *   - a swap entry is shared: its slot gains a user (swap_duplicate()) and the
 *     parent's entry loses its exclusive bit;
 *   - file pages are shared; shared mappings are not copied (the child faults).
 * The parent's TLB is flushed before its mmap_lock is dropped.
 *
 * Models: dup_mmap(), anon_vma_fork(), copy_page_range(), copy_present_pte(),
 * copy_present_page(), copy_nonpresent_pte() for migration and swap entries,
 * copy_huge_pmd() (huge_memory.c).  Leaves out: VM_WIPEONFORK, uffd-wp, rss
 * counters, the mmlist of swapoff.
 */
#ifndef MMFUZZ_FORK_H
#define MMFUZZ_FORK_H

#include "mm.h"

/*
 * Copy @oldmm into @mm, the child: a process that does not exist yet
 * (mm->unborn).  Returns 0, -EBUSY (@mm exists already) or -ENOMEM.
 * Context: no locks held.
 */
int do_fork(struct mm_struct *oldmm, struct mm_struct *mm);

#endif
