/* SPDX-License-Identifier: MIT */
/*
 * The accounting at quiescence (events.h, oracle_final_sync()): once every process
 * is torn down, every file written back and the disks judged (data.c), nothing may
 * be left holding memory:
 *
 *   refcount        every allocated frame is a page-cache page with only the
 *                   cache's reference, or a swap-cache page no entry names
 *                   (reclaim's to free); anything else leaked, or has a stray
 *                   reference or mapping; every swap slot is free, or held by
 *                   the swap cache alone;
 *   tlb-coherence   no CPU's TLB still caches a translation.
 *
 * Privileged reads of the world, no state of its own.  Frames past
 * mm_frames_touched() were never allocated in this run: nothing to account.
 */
#include "../page.h"
#include "../swap.h"
#include "oracle_int.h"

SCHED_SITE_GLOBAL(site_accounting, "mm_quiesce", "accounting");

void accounting_check(void)
{
	if (!site_accounting.id)
		sched_site_init(&site_accounting);
	uint32_t frames = mm_frames_touched(); /* beyond: never allocated, nothing to account */
	for (uint32_t pfn = 0; pfn < frames; pfn++) {
		const struct folio *folio = &mm_world.frames[pfn];
		if (!folio->allocated)
			continue;
		bool cached = folio->mapping && !folio_test_anon(folio) &&
			      folio->mapping->pages[folio->index] == folio;
		/* a swap-cache folio no entry names: reclaim's to free, not leaked */
		cached |= folio_test_swapcache(folio) && folio->swap < NR_SWAP_SLOTS &&
			  mm_world.swap.cache[folio->swap] == folio &&
			  mm_world.swap.swap_map[folio->swap] == SWAP_HAS_CACHE;
		if (!cached) {
			sched_finding(mm_oracle_names[ORACLE_REFCOUNT], &site_accounting, NULL, 0,
				      "frame %u leaked after teardown (refcount %d, mapcount %d)",
				      pfn, folio->refcount, folio->mapcount);
			return;
		}
		if (folio->refcount != 1 || folio->mapcount != 0) {
			sched_finding(mm_oracle_names[ORACLE_REFCOUNT], &site_accounting, NULL, 0,
				      "page cache frame %u has refcount %d, mapcount %d after "
				      "teardown (expected 1, 0)",
				      pfn, folio->refcount, folio->mapcount);
			return;
		}
	}
	/* (no slot was ever allocated: the map is all zeroes) */
	for (uint32_t slot = 0; mm_world.swap_used && slot < NR_SWAP_SLOTS; slot++) {
		uint8_t map = mm_world.swap.swap_map[slot];
		const struct folio *cache = mm_world.swap.cache[slot];
		if (map == 0 || (map == SWAP_HAS_CACHE && cache))
			continue;
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], &site_accounting, NULL, 0,
			      "swap slot %u leaked after teardown (%d entries%s)", slot,
			      map & ~SWAP_HAS_CACHE,
			      map & SWAP_HAS_CACHE ? (cache ? ", in the swap cache"
							    : ", SWAP_HAS_CACHE without a folio")
						   : "");
		return;
	}
	for (int cpu = 0; cpu < NR_CPUS; cpu++)
		for (int i = 0; i < TLB_ENTRIES; i++)
			if (mm_world.tlb[cpu][i].valid) {
				sched_finding(mm_oracle_names[ORACLE_TLB_COHERENCE],
					      &site_accounting, NULL, 1u << cpu,
					      "%s still caches P%d 0x%x -> frame %u after teardown",
					      sched_agent_name(cpu), mm_world.tlb[cpu][i].mm,
					      mm_world.tlb[cpu][i].vpn << PAGE_SHIFT,
					      mm_world.tlb[cpu][i].pfn);
				return;
			}
}
