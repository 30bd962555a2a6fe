/* SPDX-License-Identifier: MIT */
/*
 * Swap: one swap device and the swap cache in front of it.  A slot's swap_map
 * count is the number of swap entries (page-table entries) naming it, plus
 * SWAP_HAS_CACHE while a folio is in the swap cache for it or being read into it;
 * a slot with neither is free.  The device is SWP_SYNCHRONOUS_IO (zram-like): a
 * read or write completes in the caller, so do_swap_page() may skip the swap
 * cache for an entry only it references.  Slots hold page contents, so data
 * survives a swap-out; the payload accessors report each copy to the oracle
 * layer (oracle_swap_origin / oracle_swap_set) as filemap.c does for disks.
 *
 * Models: mm/swapfile.c (folio_alloc_swap(), swap_duplicate(), swap_free(),
 * __swap_count(), swapcache_prepare(), swapcache_clear(), free_swap_and_cache(),
 * folio_free_swap(), put_swap_folio()), mm/swap_state.c (add_to_swap(),
 * swap_cache_get_folio(), __read_swap_cache_async(), delete_from_swap_cache(),
 * free_swap_cache()), mm/page_io.c (swap_writepage(), swap_read_folio()).
 * Leaves out: more than one device (no swap type in an entry), swapoff, swap
 * clusters and the per-CPU slot caches (one lock, lowest free slot first: reuse
 * of a just-freed slot is likely, which is what makes an ABA on an entry
 * observable), readahead, large folios (swap-out takes small folios only),
 * shadow entries and workingset, memcg, swap count continuation (at most
 * NR_MMS entries name a slot here).
 */
#ifndef MMFUZZ_SWAP_H
#define MMFUZZ_SWAP_H

#include "mm.h"

/*
 * Models: add_to_swap(): give @folio a slot (SWAP_HAS_CACHE), put it in the swap
 * cache (a reference, PG_swapcache, folio->swap) and mark it dirty: the slot does
 * not hold its data yet.  false if the device is full.  Context: folio locked.
 */
bool add_to_swap(struct folio *folio);
/*
 * Models: swap_duplicate(): one more swap entry names @slot (try_to_unmap_one(),
 * fork).  -ENOENT if the slot is not in use.  Context: the PTL of the new entry.
 */
int swap_duplicate(uint32_t slot);
/* Models: swap_free(): one swap entry naming @slot is gone (do_swap_page()). */
void swap_free(uint32_t slot);
/* Models: __swap_count(): how many swap entries name @slot (lockless). */
int __swap_count(uint32_t slot);
/*
 * Models: swapcache_prepare(): set SWAP_HAS_CACHE on a slot that entries name,
 * the right to read it into a new folio: -EEXIST if someone else has it (a folio
 * is in the swap cache or being read), -ENOENT if no entry names the slot.
 */
int swapcache_prepare(uint32_t slot);
/* Models: swapcache_clear(): drop SWAP_HAS_CACHE taken by swapcache_prepare(). */
void swapcache_clear(uint32_t slot);
/*
 * Models: schedule_timeout_uninterruptible(1) on swapcache_wq after a failed
 * swapcache_prepare(): here, until the holder adds its folio to the swap cache
 * or lets go of the slot.
 */
void swapcache_wait(uint32_t slot);
/* Models: swap_cache_get_folio(): the swap cache's folio for @slot with a
 * reference, or NULL.  Lockless (RCU and folio_try_get()). */
struct folio *swap_cache_get_folio(uint32_t slot);
/*
 * Models: __read_swap_cache_async() (swapin_readahead() without readahead): the
 * swap cache's folio for @slot, read from the device into a new folio if there
 * is none, with a reference, unlocked.  NULL if no entry names the slot any more,
 * or on -ENOMEM.
 */
struct folio *read_swap_cache_async(uint32_t slot);
/* Models: swap_read_folio(): the device's slot @slot into @folio, not yet
 * visible to anyone else.  Context: @folio locked. */
void swap_read_folio(struct folio *folio, uint32_t slot);
/* Models: pageout() -> swap_writepage() of a swap-cache folio: clean it and write
 * it to its slot.  Context: folio locked, unmapped. */
void swap_writepage(struct folio *folio);
/* Models: delete_from_swap_cache(): take @folio out of the swap cache; its slot
 * keeps only its entries.  Context: folio locked. */
void delete_from_swap_cache(struct folio *folio);
/*
 * Models: folio_free_swap(): if no swap entry names @folio's slot any more, take
 * it out of the swap cache (the folio is then its only copy: dirty).  Returns
 * whether it did.  Context: folio locked.
 */
bool folio_free_swap(struct folio *folio);
/*
 * Models: free_swap_and_cache(): a swap entry naming @slot is zapped (munmap,
 * MADV_DONTNEED, exit); if only the swap cache is left, try to free its folio
 * too (__try_to_reclaim_swap(), with a trylock).  Context: the PTL of the entry.
 */
void free_swap_and_cache(uint32_t slot);
/*
 * Models: free_swap_cache() as free_pages_and_swap_cache() calls it before
 * dropping a gathered page: an unmapped swap-cache folio whose slot no entry
 * names leaves the swap cache.  A plain test first: free for other folios.
 */
void free_swap_cache(struct folio *folio);

#endif
