/* SPDX-License-Identifier: MIT */
/* Reclaim of lazyfree anon folios, and swap-out (see vmscan.h). */
#include "vmscan.h"

#include "page.h"
#include "rmap.h"
#include "swap.h"
#include "tlb.h"

int shrink_lazyfree(void)
{
	struct folio *batch[NR_FRAMES];
	int nr = 0, freed = 0;
	struct tlbflush_unmap_batch ubc = {0};
	for (uint32_t pfn = 0; pfn < NR_FRAMES; pfn++) {
		struct folio *folio = pfn_page(pfn);
		/* the LRU holds the folios added to it (PG_lru: once mapped); one being
		 * freed under us is skipped, as folio_try_get() fails.  The PG_lru test
		 * stands for folio_isolate_lru() under the LRU lock, in
		 * folio_try_get()'s step.  A lazyfree large folio (a THP MADV_FREE
		 * made lazyfree whole) is not split: shrink_folio_list() splits only
		 * the swap-backed ones, for add_to_swap(). */
		if (!folio->allocated || folio->page_idx || !folio_try_get(folio))
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
		/* a large folio may keep mappings the walk did not reach (part of it
		 * mremapped): folio_mapped() after try_to_unmap(), as the kernel */
		if (unmapped && folio_test_large(folio))
			unmapped = !folio_mapped(folio);
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

/*
 * Models: __remove_mapping() for a swap-cache folio: only the isolation and the
 * swap cache hold it (frozen, so no swap-in lookup can take it meanwhile), and it
 * is clean; then it leaves the swap cache.  Context: folio locked.  Returns true
 * if the folio is frozen and out of the cache: the caller frees it.
 */
static bool __remove_mapping(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	struct swap_info_struct *swap = &mm_world.swap;
	uint32_t slot = folio->swap;
	spin_lock(&swap->cache_lock);
	if (!folio_ref_freeze(folio, 2)) {
		spin_unlock(&swap->cache_lock);
		return false;
	}
	if (folio_test_dirty(folio)) {
		folio_ref_unfreeze(folio, 2);
		spin_unlock(&swap->cache_lock);
		sched_wake_obj(SCHED_OBJ(OBJ_SWAP_MAP, slot)); /* swapcache_wait() */
		return false;
	}
	/* __delete_from_swap_cache(): the folio is frozen, nobody else's */
	SCHED_YIELD("xa_erase", SCHED_OBJ(OBJ_SWAP_CACHE, slot), SCHED_OP_WRITE);
	swap->cache[slot] = NULL;
	folio->flags &= ~(1u << PG_swapcache | 1u << PG_locked); /* __folio_clear_locked() */
	spin_unlock(&swap->cache_lock);
	swapcache_clear(slot); /* put_swap_folio() */
	return true;
}

/* shrink_folio_list() for one isolated folio; true if it is to be freed. */
static bool shrink_swap_folio(struct folio *folio, struct tlbflush_unmap_batch *ubc)
{
	if (!folio_trylock(folio))
		return false;
	if (!folio_test_anon(folio) || !folio_test_swapbacked(folio) ||
	    __folio_test_flag(folio, PG_writeback, MM_SITE("folio_test_writeback")))
		goto keep_locked;
	if (!folio_test_swapcache(folio) && !add_to_swap(folio))
		goto keep_locked; /* the device is full */
	if (folio_mapped(folio)) {
		(void)try_to_unmap(folio, ubc);
		if (folio_mapped(folio))
			goto keep_locked; /* activate_locked: a pin keeps it */
	}
	if (folio_test_dirty(folio)) {
		/* try_to_unmap_flush_dirty(): no CPU may still write through its TLB */
		try_to_unmap_flush(ubc);
		swap_writepage(folio);
	}
	if (!__remove_mapping(folio))
		goto keep_locked;
	return true;
keep_locked:
	folio_unlock(folio);
	return false;
}

int reclaim_pages(struct folio **folios, int nr)
{
	struct folio *freed[NR_FRAMES];
	int nr_freed = 0;
	struct tlbflush_unmap_batch ubc = {0};
	for (int i = 0; i < nr; i++) {
		if (shrink_swap_folio(folios[i], &ubc))
			freed[nr_freed++] = folios[i];
		else
			folio_put(folios[i]); /* putback: the isolation reference */
	}
	/* no page may be freed while a CPU can still reach it through its TLB */
	try_to_unmap_flush(&ubc);
	for (int i = 0; i < nr_freed; i++)
		folio_free_frozen(freed[i]);
	return nr_freed;
}
