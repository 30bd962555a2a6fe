/* SPDX-License-Identifier: MIT */
/*
 * Reverse mapping for file pages: from a folio to the PTEs that map it, through
 * the file's i_mmap, and folio_mkclean() which write-protects and cleans them.
 *
 * Anon rmap: anon_vmas in a tree per fork family (root lock), each with the VMAs
 * chained to it in link order; a folio is found in a VMA by its linear index.
 *
 * Models: mm/rmap.c folio_mkclean(), page_vma_mkclean_one() with a PTE-level
 * page_vma_mapped_walk(), rmap_walk_anon(), try_to_unmap(), anon_vma_fork().
 * A KSM folio is walked by rmap_walk_ksm() (ksm.h): try_to_unmap() only.
 * Leaves out: anon_vma reuse on fork (anon_vma->num_children heuristics).
 */
#ifndef MMFUZZ_RMAP_H
#define MMFUZZ_RMAP_H

#include "mm.h"

struct folio;

/* Add/remove a VMA to/from its file's i_mmap.  Context: i_mmap_rwsem taken inside. */
void vma_link_file(struct vm_area_struct *vma);
void vma_unlink_file(struct vm_area_struct *vma);

/*
 * anon_vma lifetime (mm/rmap.c): anon_vma_prepare() gives a private VMA its own
 * anon_vma; anon_vma_clone() chains a split or moved VMA wherever its source is
 * chained; anon_vma_fork() chains a child's VMA to its parent's anon_vmas and
 * gives it a new one under the same root; unlink_anon_vmas() unchains it, freeing
 * anon_vmas nobody uses.  Context: each takes the root's rwsem for write.
 */
void anon_vma_prepare(struct vm_area_struct *vma);
void anon_vma_clone(struct vm_area_struct *dst, const struct vm_area_struct *src);
void anon_vma_fork(struct vm_area_struct *vma, const struct vm_area_struct *pvma);
void unlink_anon_vmas(struct vm_area_struct *vma);
/*
 * Models: folio_get_anon_vma() / put_anon_vma(): keep a folio's anon_vma (and its
 * root, whose lock a walk takes) from being freed while the folio is unmapped —
 * a migration's second walk.  Context: the folio locked.
 */
struct anon_vma *folio_get_anon_vma(struct folio *folio);
void put_anon_vma(struct anon_vma *av);
/* Models: get_anon_vma(): keep @av (and its root) alive, as a KSM rmap_item does
 * for the VMA it was merged in.  Context: @av known live (mmap_lock held). */
void get_anon_vma(struct anon_vma *av);

/*
 * Call @fn for every anonymous VMA that may map @folio, at the address it would
 * have there, in link order, until @fn returns false (then returns false).
 * Unless @pinned (the caller holds folio_get_anon_vma()), a folio found unmapped
 * once the lock is held is not walked (folio_lock_anon_vma_read()).
 * Context: takes the anon_vma root's lock for read; @fn takes the PTL itself.
 */
typedef bool (*rmap_one_fn)(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			    void *arg);
bool rmap_walk_anon(struct folio *folio, rmap_one_fn fn, void *arg, bool pinned);

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
 * else put the PTE back and make the folio swapbacked again.  A folio in the swap
 * cache (reclaim's add_to_swap()) is unmapped to swap entries instead, unless a
 * page of it is exclusive and may be pinned.  A large lazyfree folio (a THP)
 * mapped by a huge PMD goes whole if clean and unpinned, else the PMD is split
 * and its PTEs tried one by one (6.12).
 * Context: folio locked, isolation reference held; takes the anon_vma lock and the
 * PTL.  Returns true if the folio was unmapped (and, lazyfree, can be freed).
 */
bool try_to_unmap(struct folio *folio, struct tlbflush_unmap_batch *ubc);

#endif
