/* SPDX-License-Identifier: MIT */
/*
 * KSM: ksmd merges identical anonymous pages of VM_MERGEABLE VMAs into one
 * write-protected KSM folio, which every mapper then shares until its next write
 * copies it (do_wp_page() never reuses a KSM folio).
 *
 * A merge of one page: lock the folio, write-protect its PTE (write_protect_page():
 * clear and flush it, then check that the references are the mappings' and
 * ksmd's own — nobody, GUP-fast included, can take a new one through the cleared
 * entry — make the page shared (folio_try_share_anon_rmap_pte()), put the entry
 * back read-only and clean), compare it with the KSM folio, and map the KSM folio
 * in its place (replace_page()).  Two pages that are not KSM yet: the first
 * becomes the KSM folio itself, the second is merged into it; if the second
 * fails, the first is unshared again (break_cow()).
 *
 * Models: mm/ksm.c ksm_do_scan() over one range of one mm (the `ksm-scan`
 * operation, run by an agent the schedule interleaves, as khugepaged's),
 * cmp_and_merge_page(), try_to_merge_one_page(), write_protect_page(),
 * replace_page(), try_to_merge_two_pages(), stable_tree_search() /
 * stable_tree_insert() / unstable_tree_search_insert(), get_ksm_page(),
 * get_mergeable_page(), break_ksm() (MADV_UNMERGEABLE, break_cow()), and
 * ksm_madvise() for MADV_MERGEABLE / MADV_UNMERGEABLE.
 * Simplified: the trees are small arrays searched in order and compared by
 * content (struct ksm_state in mm.h), not red-black trees ordered by memcmp; the
 * unstable tree is not rebuilt per full scan and a page enters it without the
 * checksum test (ksm's "unchanged since the last scan"): a page is a candidate at
 * the first scan that sees it; no mm_slot list: each scan names its mm and range;
 * unstable rmap items record where a page was seen, nothing more.  A stable
 * node's items record where its KSM folio was mapped (mm, address, and the
 * anon_vma of the VMA, referenced): rmap_walk_ksm() visits them, so reclaim
 * (MADV_PAGEOUT) swaps a KSM folio out as any anon folio; a swap-in finds it in
 * the swap cache and maps it read-only (ksm_might_need_to_copy() keeps a KSM
 * folio), or reads the slot into a new, ordinary folio.  Items are dropped only
 * with their node (stale when its folio is freed) or replaced when ksmd merges
 * the same address again, not when the mapping goes: the walk checks each PTE.
 * Leaves out: the KSM zero page (use_zero_pages), stable node chains and
 * max_page_sharing, NUMA merging rules, ksmd's sleep and batching knobs; large
 * folios (the kernel splits them first; here ksmd skips them); NUMA and explicit
 * migration of KSM folios (rmap_walk_ksm() with remove_migration_ptes()), and
 * MADV_FREE of them (the kernel skips them too) — those paths leave KSM folios
 * where they are; mremap() of a VM_MERGEABLE range does not unmerge first
 * (1ff829957316's ksm_madvise() in move_vma()), so a moved KSM page's item
 * names its old address and reclaim keeps it mapped.
 */
#ifndef MMFUZZ_KSM_H
#define MMFUZZ_KSM_H

#include "mm.h"
#include "rmap.h"

#define MADV_MERGEABLE	 12
#define MADV_UNMERGEABLE 13

/*
 * Models: unmerge_ksm_pages() (MADV_UNMERGEABLE, before VM_MERGEABLE goes; the
 * madvise itself is in madvise.c, as ksm_madvise()'s flag changes): every KSM
 * page of [start, end) of @vma is unshared by break_ksm().  Returns 0 or -errno.
 * Context: mmap_lock held for write.
 */
int unmerge_ksm_pages(struct vm_area_struct *vma, unsigned long start, unsigned long end);

/*
 * Models: ksm_do_scan() for the pages of [start, start + len) of @mm: each small
 * anonymous page of a VM_MERGEABLE VMA found there (scan_get_next_rmap_item(),
 * under mmap_lock for read, with a reference) goes through cmp_and_merge_page()
 * (the lock dropped).  The `ksm-scan` operation.  Returns 0 or -EINVAL.
 * Context: takes ksm_thread_mutex, then mmap_lock of each mm it merges in.
 */
int ksm_do_scan(struct mm_struct *mm, unsigned long start, unsigned long len);

/*
 * Models: rmap_walk_ksm(): call @fn for each VMA that may map KSM folio @folio,
 * at the address it has there: the VMAs of each of its stable node's items'
 * anon_vmas (a fork's children included) that cover the item's address, until
 * @fn returns false (then returns false).  A folio with no node: nothing.  For
 * try_to_unmap() (reclaim, MADV_PAGEOUT).  Context: @folio locked; takes each
 * anon_vma root's lock for read.
 */
bool rmap_walk_ksm(struct folio *folio, rmap_one_fn fn, void *arg);

/* Initialise ksmd's state of the pristine world. */
void ksm_init(struct ksm_state *ksm);

#endif
