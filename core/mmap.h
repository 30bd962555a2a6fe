/* SPDX-License-Identifier: MIT */
/*
 * The address-space operations a user process calls: mmap (hint, MAP_FIXED,
 * MAP_FIXED_NOREPLACE), munmap and madvise (DONTNEED, FREE, HUGEPAGE, COLLAPSE,
 * PAGEOUT, and DONTFORK/DOFORK, which only change vm_flags: vma_modify_flags()
 * cuts the VMAs to the range).
 *
 * munmap, stated once: the range-reservation design of the Glisse/Wilcox thread
 * (Dec 2019).  Under mmap_lock for write, split the VMAs at the range's edges,
 * write-lock and detach every VMA inside, and *reserve* their range in the tree
 * (MTREE_ZERO, widened over the free space around it within the PMDs it touches);
 * drop mmap_lock; zap the PTEs, free the page tables and flush the TLB
 * (tlb_finish_mmu) without it; then release the reservation.  A reserved range is
 * invisible to lookups and occupied for gap search, so no mmap() can hand it out
 * while a CPU may still translate it to the old pages, and only this munmap() may
 * free the page tables inside it.  MAP_FIXED and mremap() wait (munmap_sem) for
 * reservations in their way.  (Today's kernel gets the same guarantee by holding
 * mmap_lock for read across the teardown, dd2283f2605e.)
 *
 * mprotect: the PTEs are write-protected and the TLB flushed before mmap_lock is
 * released; after mprotect() returns no CPU may write through an old translation
 * (checked: `tlb-coherence`).
 *
 * MAP_FIXED over existing mappings (mm/vma.c __mmap_region(), 6.12+): gather and
 * write-lock the old VMAs, clear their PTEs while they are still in the tree, store
 * the new VMA over them in one tree store (RCU readers see old or new, never a
 * hole), then free the old VMAs.
 *
 * A lockless reader of the tree (procmap_query()) may find no VMA only where the
 * process has nothing mapped at some point of its query: the oracle layer's
 * `vma-visibility` (core/oracle/post.c) judges it from the process's calls.
 *
 * mprotect and the flag-changing madvise advice merge a changed range back into
 * a mergeable neighbour (vma_modify_flags(), vms.h) instead of splitting.
 *
 * Models: mm/mmap.c, mm/vma.c, mm/mremap.c, mm/mprotect.c, mm/madvise.c.  Leaves
 * out: VMA merging at mmap() and mremap() (each mmap() stays its own VMAs), pkeys,
 * MREMAP_MAYMOVE without MREMAP_FIXED.
 */
#ifndef MMFUZZ_MMAP_H
#define MMFUZZ_MMAP_H

#include <errno.h>

#include "mm.h"

#define MADV_DONTNEED 4
#define MADV_FREE     8
#define MADV_DONTFORK 10
#define MADV_DOFORK   11
#define MADV_HUGEPAGE 14
#define MADV_PAGEOUT  21
#define MADV_COLLAPSE 25

enum mmap_placement {
	MMAP_NOREPLACE, /* MAP_FIXED_NOREPLACE: exactly there, or -EEXIST */
	MMAP_FIXED,	/* MAP_FIXED: exactly there, replacing what was mapped */
	MMAP_HINT,	/* a hint: there if free, else the highest free range */
};

/*
 * Map @pages pages of @file (NULL: anonymous) from page offset @pgoff at @addr
 * per @placement.  Returns the address, or -errno.
 */
long do_mmap(struct mm_struct *mm, unsigned long addr, unsigned long pages,
	     struct address_space *file, unsigned long pgoff, uint32_t vm_flags,
	     enum mmap_placement placement);
int do_munmap(struct mm_struct *mm, unsigned long start, unsigned long len);
/*
 * Models: mremap(MREMAP_MAYMOVE | MREMAP_FIXED) of a whole mapping: unmap the
 * destination, link a new VMA there, move the PTEs (move_page_tables()), unmap
 * the old range.  Returns the new address or -errno.
 */
long do_mremap(struct mm_struct *mm, unsigned long old_addr, unsigned long pages,
	       unsigned long new_addr);
int do_madvise(struct mm_struct *mm, unsigned long addr, unsigned long len, int advice);
/*
 * Models: madvise_pageout(): under mmap_lock for read, isolate the small anon
 * folios mapped once in [start, end) of anonymous VMAs and reclaim them to swap
 * (reclaim_pages(), vmscan.h).  Holes are skipped and reported (-ENOMEM).
 */
int madvise_pageout(struct mm_struct *mm, unsigned long start, unsigned long end);
/*
 * Models: do_mprotect_pkey() -> mprotect_fixup() -> change_protection(): for
 * each VMA whose flags change, merge or split it to the range
 * (vma_modify_flags()), set the new flags, write-protect the PTEs and flush
 * through the mmu_gather, all under mmap_lock for write.  PROT_NONE clears
 * VM_READ and VM_WRITE and makes every present PTE protnone (still mapped for
 * rmap, zap, fork; faults and GUP refuse the VMA); PROT_READ of such a VMA makes
 * them accessible again.  An upgrade
 * (@write: PROT_WRITE) of a VMA that was read-only makes writable at once the
 * PTEs the write fault would reuse without a copy (can_change_pte_writable():
 * exclusive anonymous pages, dirty shared file pages); the rest stay read-only
 * until the next write faults.
 */
/* @prot: PROT_NONE, PROT_READ or PROT_READ | PROT_WRITE (PROT_WRITE implies read) */
#define PROT_NONE  0x0u
#define PROT_READ  0x1u
#define PROT_WRITE 0x2u
int do_mprotect(struct mm_struct *mm, unsigned long start, unsigned long len, unsigned int prot);

/*
 * Models: lock_mm_and_find_vma() (6.5+): the VMA a fault at @addr must use, with
 * mmap_lock held for read on return; a VM_GROWSDOWN VMA above @addr is expanded
 * down to it under mmap_lock for write (upgrade, expand_downwards(), downgrade),
 * unless that would come within the guard gap of the VMA below.  NULL, and no
 * lock held, if there is none.
 */
struct vm_area_struct *lock_mm_and_find_vma(struct mm_struct *mm, unsigned long addr);

/*
 * Tear down every VMA of @mm (exit_mmap()).
 * Context: the last user of @mm, no concurrency.
 */
void exit_mmap(struct mm_struct *mm);

/*
 * Models: PROCMAP_QUERY (fs/proc/task_mmu.c, per-VMA locks under RCU, 6.16+): is
 * @addr inside a VMA?  The VMA found is read-locked; if a writer holds it, the
 * query falls back to mmap_lock.  A hole in the tree is an answer, not a retry.
 * Returns 1 (mapped) or 0.
 */
int procmap_query(struct mm_struct *mm, unsigned long addr);

/*
 * Models: reading /proc/pid/maps (fs/proc/task_mmu.c m_start, m_next, show_map,
 * m_stop; seq_file with a buffer of one record): each record under
 * mmap_read_lock, the lock dropped and retaken between records, the walk
 * continued from the end of the last VMA shown (priv->last_pos) with a cursor set
 * there again, as m_start does.  MTREE_ZERO (a munmap's reservation) shows
 * nothing.  Returns the number of VMAs shown.
 */
int proc_maps_read(struct mm_struct *mm);

#endif
