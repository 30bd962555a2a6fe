/* SPDX-License-Identifier: MIT */
/*
 * Reclaim: what kswapd does to lazyfree anon memory.  One pass isolates every
 * lazyfree anon folio on the LRU (PG_lru: a new folio joins it only once mapped;
 * a reference, as isolation from the LRU takes), tries to
 * unmap each with the TLB flush deferred (try_to_unmap(), TTU_BATCH_FLUSH),
 * flushes once for the whole batch, and only then frees the discarded folios.
 *
 * Models: mm/vmscan.c shrink_folio_list() for MADV_FREE folios.  Leaves out:
 * swap, file page reclaim, the LRU lists' order and aging, dirty folio writeback.
 */
#ifndef MMFUZZ_VMSCAN_H
#define MMFUZZ_VMSCAN_H

/* One reclaim pass.  Returns how many folios were freed. */
int shrink_lazyfree(void);

#endif
