/* SPDX-License-Identifier: MIT */
/* Reclaim of lazyfree anon folios (see vmscan.h). */
#include "vmscan.h"

#include "page.h"
#include "rmap.h"
#include "tlb.h"

int shrink_lazyfree(void)
{
	struct folio *batch[NR_FRAMES];
	int nr = 0, freed = 0;
	struct tlbflush_unmap_batch ubc = {0};
	for (uint32_t pfn = 0; pfn < NR_FRAMES; pfn++) {
		struct folio *folio = pfn_page(pfn);
		/* the LRU holds the folios added to it (PG_lru: once mapped; small ones
		 * here, large ones would be split first); one being freed under us is
		 * skipped, as folio_try_get() fails.  The PG_lru test stands for
		 * folio_isolate_lru() under the LRU lock, in folio_try_get()'s step. */
		if (!folio->allocated || folio->page_idx || folio_test_large(folio) ||
		    !folio_try_get(folio))
			continue;
		if (!(folio->flags >> PG_lru & 1u)) {
			folio_put(folio); /* not on the LRU yet: a fault or fork installing it */
			continue;
		}
		bool lazyfree =
		    folio_test_anon(folio) && !folio_test_swapbacked(folio) && folio_mapped(folio);
		if (!lazyfree || !folio_trylock(folio)) {
			folio_put(folio);
			continue;
		}
		bool unmapped = try_to_unmap(folio, &ubc);
		folio_unlock(folio);
		if (unmapped)
			batch[nr++] = folio; /* isolation reference kept until after the flush */
		else
			folio_put(folio); /* redirtied or pinned: put it back */
	}
	/* no page may be freed while a CPU can still reach it through its TLB */
	try_to_unmap_flush(&ubc);
	for (int i = 0; i < nr; i++) {
		folio_put(batch[i]); /* the isolation reference: the last one */
		freed++;
	}
	return freed;
}
