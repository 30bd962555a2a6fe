/* SPDX-License-Identifier: MIT */
/*
 * Reverse mapping for file pages: from a folio to the PTEs that map it, through
 * the file's i_mmap, and folio_mkclean() which write-protects and cleans them.
 *
 * Anon rmap: one anon_vma per mm (no chains: fork is issue 4), its VMAs in link
 * order under mm->anon_vma_lock; a folio is found in a VMA by its linear index.
 *
 * Models: mm/rmap.c folio_mkclean(), page_vma_mkclean_one() with a PTE-level
 * page_vma_mapped_walk(), rmap_walk_anon(), try_to_unmap().  Leaves out: anon_vma
 * chains and fork (issue 4).
 */
#ifndef MMFUZZ_RMAP_H
#define MMFUZZ_RMAP_H

#include "mm.h"

struct folio;

/* Add/remove a VMA to/from its file's i_mmap.  Context: i_mmap_rwsem taken inside. */
void vma_link_file(struct vm_area_struct *vma);
void vma_unlink_file(struct vm_area_struct *vma);

/* Add/remove an anonymous VMA to/from its anon_vma.  Context: takes the anon_vma lock. */
void anon_vma_link(struct vm_area_struct *vma);
void unlink_anon_vmas(struct vm_area_struct *vma);

/*
 * Call @fn for every anonymous VMA that may map @folio, at the address it would
 * have there, in link order, until @fn returns false (then returns false).
 * Context: takes the anon_vma lock for read; @fn takes the PTL itself.
 */
typedef bool (*rmap_one_fn)(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			    void *arg);
bool rmap_walk_anon(struct folio *folio, rmap_one_fn fn, void *arg);

/*
 * Write-protect and clean every PTE mapping @folio; returns how many PTEs were
 * writable or dirty.  Context: folio locked; takes i_mmap_rwsem and the PTLs.
 */
int folio_mkclean(struct folio *folio);

struct tlbflush_unmap_batch;
/*
 * Models: try_to_unmap(folio, TTU_BATCH_FLUSH) for a lazyfree anon folio
 * (MADV_FREE): find its mapping through the anon_vma, clear the PTE deferring the
 * flush, then discard the folio if nobody redirtied it and nobody else holds a
 * reference (ref_count == 1 + mapcount: the isolation reference and the rmap);
 * else put the PTE back and make the folio swapbacked again.
 * Context: folio locked, isolation reference held; takes the anon_vma lock and the
 * PTL.  Returns true if the folio was unmapped and can be freed.
 */
bool try_to_unmap(struct folio *folio, struct tlbflush_unmap_batch *ubc);

#endif
