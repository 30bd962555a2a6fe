/* SPDX-License-Identifier: MIT */
/*
 * Page faults and unmapping of PTE ranges.
 *
 * Models: mm/memory.c handle_mm_fault() -> handle_pte_fault() -> do_anonymous_page
 * / do_read_fault / do_cow_fault / do_shared_fault / do_wp_page (wp_page_shared,
 * wp_page_reuse, wp_page_copy) / do_swap_page(), do_numa_page() for a protnone
 * entry of an accessible VMA (numa.c); zap_pte_range() with the mmu_gather (swap
 * entries: free_swap_and_cache()), and zap_page_range_single() for MADV_DONTNEED.
 * Leaves out: the zero page (a read fault on anon memory allocates a zeroed page),
 * huge pages, userfaultfd.
 */
#ifndef MMFUZZ_MEMORY_H
#define MMFUZZ_MEMORY_H

#include "mm.h"

#define VM_FAULT_OOM	 0x1
#define VM_FAULT_SIGBUS	 0x2
#define VM_FAULT_SIGSEGV 0x4
#define VM_FAULT_RETRY	 0x8
/* the fault broke COW (a private copy is now mapped): what pre-2016 GUP looked at */
#define VM_FAULT_WRITE 0x10

/* Context: mmap_lock or the VMA lock held (handle_mm_fault() asserts it). */
/* FAULT_FLAG_UNSHARE (GUP, R/O pin): make the anon page mapped at the address
 * exclusive, copying it if it may be shared; the PTE stays read-only. */
#define FAULT_FLAG_WRITE   0x1u
#define FAULT_FLAG_UNSHARE 0x400u
int handle_mm_fault(struct vm_area_struct *vma, unsigned long addr, unsigned int flags);

struct mmu_gather;
/* Zap [addr, end) of one VMA into @tlb.  Context: mmap_lock held, or @vma detached
 * (munmap's teardown, without mmap_lock behind a reservation). */
void unmap_single_vma(struct mmu_gather *tlb, struct vm_area_struct *vma, unsigned long addr,
		      unsigned long end);
/*
 * Models: madvise_free_single_vma() -> madvise_free_pte_range(): clean and age the
 * PTEs of anon folios mapped once, mark those folios lazyfree, drop swap entries
 * (and their slots), flush through the mmu_gather; a huge PMD the range covers
 * whole stays huge (madvise_free_huge_pmd()), one it covers in part is split
 * first.  Small folios only at the PTE level (a PTE-mapped large folio is left
 * as it is).  Context: mmap_lock held for read.
 */
void madvise_free_single_vma(struct vm_area_struct *vma, unsigned long start, unsigned long end);
/* Models: zap_page_range_single(): gather, zap, finish.  Context: mmap_lock held. */
void zap_page_range_single(struct vm_area_struct *vma, unsigned long addr, unsigned long size);

#endif
