/* SPDX-License-Identifier: MIT */
/*
 * Reverse mapping for file pages: from a folio to the PTEs that map it, through
 * the file's i_mmap, and folio_mkclean() which write-protects and cleans them.
 *
 * Models: mm/rmap.c folio_mkclean(), page_vma_mkclean_one() with a PTE-level
 * page_vma_mapped_walk().  Leaves out: anon_vma (issue 4), try_to_unmap and
 * migration (issue 3).
 */
#ifndef MMFUZZ_RMAP_H
#define MMFUZZ_RMAP_H

#include "mm.h"

struct folio;

/* Add/remove a VMA to/from its file's i_mmap.  Context: i_mmap_rwsem taken inside. */
void vma_link_file(struct vm_area_struct *vma);
void vma_unlink_file(struct vm_area_struct *vma);

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
