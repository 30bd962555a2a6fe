/* SPDX-License-Identifier: MIT */
/*
 * Reclaim: what kswapd does to lazyfree anon memory, and what MADV_PAGEOUT does
 * to the anon folios it isolates (reclaim_pages(): swap-out).  One pass isolates every
 * lazyfree anon folio on the LRU (PG_lru: a new folio joins it only once mapped;
 * a reference, as isolation from the LRU takes), tries to
 * unmap each with the TLB flush deferred (try_to_unmap(), TTU_BATCH_FLUSH),
 * flushes once for the whole batch, and only then frees the discarded folios.
 *
 * Models: mm/vmscan.c shrink_folio_list() for MADV_FREE folios and for
 * swap-backed anon folios (add_to_swap(), try_to_unmap(), pageout(),
 * __remove_mapping()).  Leaves out: file page reclaim, the LRU lists' order and
 * aging, asynchronous swap writeback (the device is synchronous), large
 * swap-backed folios (MADV_PAGEOUT takes small ones only); a lazyfree THP is
 * discarded whole or tried page by page (try_to_unmap()), never split first.
 */
#ifndef MMFUZZ_VMSCAN_H
#define MMFUZZ_VMSCAN_H

/* One reclaim pass.  Returns how many folios were freed. */
int shrink_lazyfree(void);

struct folio;
/*
 * Models: reclaim_pages() -> shrink_folio_list() for isolated small swap-backed
 * anon folios (each holds an isolation reference, which this drops): each goes to
 * the swap cache (add_to_swap()), is unmapped to swap entries (try_to_unmap(),
 * the flush batched), written to its slot once every TLB is flushed, and freed
 * if nobody else holds it (__remove_mapping(): folio_ref_freeze() to the
 * isolation and swap cache references) — after the batch's TLB flush.  A folio
 * that stays mapped (a pin) or referenced stays in the swap cache.  Returns how
 * many were freed.
 */
int reclaim_pages(struct folio **folios, int nr);

#endif
