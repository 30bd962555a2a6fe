/* SPDX-License-Identifier: MIT */
/*
 * The VMA machinery that mmap, munmap, mremap, mprotect, madvise and exit share
 * (the kernel's mm/vma.c internals): split and merge VMAs, gather the VMAs of a
 * range and write-lock them, reserve a range (MTREE_ZERO) and compute what page
 * tables an unmap may free, zap, unlink and free.  Context, unless said otherwise:
 * mmap_lock held for write.
 */
#ifndef MMFUZZ_VMS_H
#define MMFUZZ_VMS_H

#include "mm.h"

struct mmu_gather;

/*
 * The VMAs of an unmap and the reservations that cover them.  A reservation is a
 * run of the unmap's VMAs widened into the free space around it, up to the
 * neighbouring entries (VMAs or other reservations) and within the PMDs it
 * touches: the page tables inside it belong to this unmap alone, so it may free
 * them without mmap_lock.
 */
struct vma_munmap {
	unsigned long start, end;
	int count;
	struct vm_area_struct *vmas[NR_VMAS];
	int nr_resv;
	struct {
		unsigned long start, end;
	} resv[NR_VMAS];
};

/*
 * A new mapping's generation: which mmap() (or mremap() move) made a VMA.  Model
 * state: vma_mergeable() merges only the pieces of one call (the model's mmap()
 * merges nothing); the oracle layer reads it (post.c), it does not keep it here.
 */
uint32_t vma_next_generation(void);

/* Models: __split_vma(): @vma keeps [vm_start, addr), the result [addr, vm_end). */
struct vm_area_struct *split_vma(struct vm_area_struct *vma, unsigned long addr);
/*
 * Models: vma_modify_flags(): give [start, end) of @vma (which covers it) the flags
 * @new_flags: merged into a mergeable neighbour (vma_merge_existing_range()), or
 * else @vma split at @start and @end.  Returns the VMA that now covers [start,
 * end) (exactly, unless merged), write-locked, or NULL (-ENOMEM).
 */
struct vm_area_struct *vma_modify_flags(struct vm_area_struct *vma, unsigned long start,
					unsigned long end, uint32_t new_flags);
/* Models: vms_gather_munmap_vmas(): split at the edges, write-lock [start, end). */
int vms_gather(struct mm_struct *mm, unsigned long start, unsigned long end,
	       struct vma_munmap *vms);
/* Compute vms->resv from the gathered VMAs. */
void vms_set_bounds(struct mm_struct *mm, struct vma_munmap *vms);
/* Does any reservation (MTREE_ZERO) intersect [start, end)?  Context: mmap_lock. */
bool range_reserved(struct mm_struct *mm, unsigned long start, unsigned long end);
/* Models: unmap_vmas() + unlink_file_vma()/unlink_anon_vmas(). */
void unmap_vmas(struct mmu_gather *tlb, struct vma_munmap *vms);
/* Models: free_pgtables() for every reservation. */
void vms_free_pgtables(struct mmu_gather *tlb, struct vma_munmap *vms);
/* Models: unmap_region(): zap, unlink, free page tables, flush; the oracle after. */
void unmap_region(struct mm_struct *mm, struct vma_munmap *vms);
/* Detach and free the gathered VMAs (after RCU). */
void remove_vmas(struct vma_munmap *vms);
/* mmap_lock for write with no reservation left in [start, end) (MAP_FIXED, mremap). */
void mmap_write_lock_unreserved(struct mm_struct *mm, unsigned long start, unsigned long end);
/* An unmap inside another operation (mremap's destination), all under mmap_lock. */
int munmap_locked(struct mm_struct *mm, unsigned long start, unsigned long end);

#endif
