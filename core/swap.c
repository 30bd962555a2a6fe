/* SPDX-License-Identifier: MIT */
/* The swap device, the swap cache and swap I/O (see swap.h). */
#include "swap.h"

#include <errno.h>

#include "oracle/events.h"
#include "page.h"

#define si (&mm_world.swap)

static uint32_t swap_map_obj(uint32_t slot)
{
	return SCHED_OBJ(OBJ_SWAP_MAP, slot);
}
static uint32_t swap_cache_obj(uint32_t slot)
{
	return SCHED_OBJ(OBJ_SWAP_CACHE, slot);
}
static uint32_t swap_data_obj(uint32_t slot)
{
	return SCHED_OBJ(OBJ_SWAP_DATA, slot);
}

/* A bad swap entry (the kernel's "swap_free: Unused swap offset entry"): the
 * count accounting is broken, a `refcount` finding. */
static void swap_bad_entry(const char *what, uint32_t slot)
{
	sched_finding(mm_oracle_names[ORACLE_REFCOUNT], MM_SITE("swap_info_get"), NULL, 0,
		      "%s: unused swap slot %u (swap_map %#x) by %s", what, slot,
		      si->swap_map[slot], sched_agent_name(sched_current()));
}

/* Models: folio_alloc_swap() -> get_swap_pages(): the lowest free slot, with
 * SWAP_HAS_CACHE; -1 when the device is full. */
static int folio_alloc_swap(void)
{
	int slot = -1;
	spin_lock(&si->lock);
	for (uint32_t s = 0; s < NR_SWAP_SLOTS && slot < 0; s++) {
		SCHED_YIELD("scan_swap_map", swap_map_obj(s), SCHED_OP_READ);
		if (si->swap_map[s])
			continue;
		SCHED_YIELD("swap_map_alloc", swap_map_obj(s), SCHED_OP_WRITE);
		si->swap_map[s] = SWAP_HAS_CACHE;
		mm_world.swap_used = true; /* restored by use (mm_world) */
		slot = (int)s;
	}
	spin_unlock(&si->lock);
	return slot;
}

bool add_to_swap(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	VM_BUG_ON(folio_test_swapcache(folio));
	int slot = folio_alloc_swap();
	if (slot < 0)
		return false;
	/* add_to_swap_cache(): the cache's reference, then the entry */
	folio_ref_add(folio, 1);
	folio->swap = (uint32_t)slot;
	__folio_set_flag(folio, PG_swapcache, MM_SITE("folio_set_swapcache"));
	spin_lock(&si->cache_lock);
	SCHED_YIELD("xa_store", swap_cache_obj((uint32_t)slot), SCHED_OP_WRITE);
	si->cache[slot] = folio;
	spin_unlock(&si->cache_lock);
	sched_wake_obj(swap_map_obj((uint32_t)slot)); /* swapcache_wait() looks here too */
	/* the slot holds nothing yet: pageout must write it */
	folio_mark_dirty(folio);
	return true;
}

/*
 * Free @slot if nothing holds it any more.  Context: si->lock held.  Anyone in
 * swapcache_wait() for it re-checks.
 */
static void swap_map_put(uint32_t slot, uint8_t value)
{
	assert_spin_locked(&si->lock);
	SCHED_YIELD("swap_map_update", swap_map_obj(slot), SCHED_OP_WRITE);
	si->swap_map[slot] = value;
	if (!(value & SWAP_HAS_CACHE))
		sched_wake_obj(swap_map_obj(slot));
}

int swap_duplicate(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	spin_lock(&si->lock);
	SCHED_YIELD("swap_map_read", swap_map_obj(slot), SCHED_OP_READ);
	uint8_t map = si->swap_map[slot];
	if (!map) {
		spin_unlock(&si->lock);
		swap_bad_entry("swap_duplicate", slot);
		return -ENOENT;
	}
	swap_map_put(slot, (uint8_t)(map + 1));
	spin_unlock(&si->lock);
	return 0;
}

/* One entry naming @slot is gone; returns what is left.  Context: si->lock held. */
static uint8_t swap_entry_put_locked(uint32_t slot, const char *what)
{
	SCHED_YIELD("swap_map_read", swap_map_obj(slot), SCHED_OP_READ);
	uint8_t map = si->swap_map[slot];
	if (!(map & ~SWAP_HAS_CACHE)) {
		swap_bad_entry(what, slot);
		return map;
	}
	swap_map_put(slot, (uint8_t)(map - 1));
	return (uint8_t)(map - 1);
}

void swap_free(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	spin_lock(&si->lock);
	(void)swap_entry_put_locked(slot, "swap_free");
	spin_unlock(&si->lock);
}

int __swap_count(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	SCHED_YIELD("swap_count", swap_map_obj(slot), SCHED_OP_READ);
	return si->swap_map[slot] & ~SWAP_HAS_CACHE;
}

int swapcache_prepare(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	int err = 0;
	spin_lock(&si->lock);
	SCHED_YIELD("swap_map_read", swap_map_obj(slot), SCHED_OP_READ);
	uint8_t map = si->swap_map[slot];
	if (map & SWAP_HAS_CACHE)
		err = -EEXIST;
	else if (!map)
		err = -ENOENT;
	else
		swap_map_put(slot, map | SWAP_HAS_CACHE);
	spin_unlock(&si->lock);
	return err;
}

void swapcache_clear(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	spin_lock(&si->lock);
	SCHED_YIELD("swap_map_read", swap_map_obj(slot), SCHED_OP_READ);
	VM_WARN_ON(!(si->swap_map[slot] & SWAP_HAS_CACHE));
	swap_map_put(slot, si->swap_map[slot] & (uint8_t)~SWAP_HAS_CACHE);
	spin_unlock(&si->lock);
}

void swapcache_wait(uint32_t slot)
{
	SCHED_YIELD("swapcache_wq", swap_map_obj(slot), SCHED_OP_READ);
	/* a cached folio reclaim has frozen is on its way out: wait for that too */
	while ((si->swap_map[slot] & SWAP_HAS_CACHE) &&
	       !(si->cache[slot] && si->cache[slot]->refcount > 0)) {
		struct sched_wait w = {
		    .what = "swapcache_wq", .name = "swap_map", .obj = swap_map_obj(slot)};
		sched_block(MM_SITE("swapcache_wq"), &w, true);
	}
}

struct folio *swap_cache_get_folio(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	rcu_read_lock();
	for (;;) {
		SCHED_YIELD("xa_load", swap_cache_obj(slot), SCHED_OP_READ);
		struct folio *folio = si->cache[slot];
		if (!folio || !folio_try_get(folio)) {
			rcu_read_unlock();
			return NULL; /* none, or being freed by reclaim (frozen) */
		}
		/* xas_reload(): still the slot's folio, not one freed and reused */
		SCHED_YIELD("xas_reload", swap_cache_obj(slot), SCHED_OP_READ);
		if (si->cache[slot] == folio) {
			rcu_read_unlock();
			return folio;
		}
		folio_put(folio);
	}
}

void swap_read_folio(struct folio *folio, uint32_t slot)
{
	VM_BUG_ON(!folio_test_locked(folio));
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
		SCHED_YIELD("swap_read", swap_data_obj(slot), SCHED_OP_READ);
		/* the folio is not visible yet: its payload needs no yield point */
		folio->data[w] = si->slots[slot][w];
		oracle_data_set(folio_pfn(folio), w, oracle_swap_origin(slot, w));
	}
	folio->flags |= 1u << PG_uptodate;
}

struct folio *read_swap_cache_async(uint32_t slot)
{
	struct folio *new;
	for (;;) {
		struct folio *folio = swap_cache_get_folio(slot);
		if (folio)
			return folio;
		/* swap_entry_swapped(): the entry may have been freed meanwhile */
		if (!__swap_count(slot))
			return NULL;
		new = folio_alloc();
		if (!new)
			return NULL;
		int err = swapcache_prepare(slot);
		if (!err)
			break;
		folio_put(new);
		if (err != -EEXIST)
			return NULL;
		/* someone else is adding it to the swap cache, or reads it directly */
		swapcache_wait(slot);
	}
	/* nobody sees @new yet: __folio_set_locked(), __folio_set_swapbacked() */
	new->flags |= 1u << PG_locked | 1u << PG_swapbacked;
	new->swap = slot;
	new->flags |= 1u << PG_swapcache;
	folio_get(new); /* the swap cache's */
	spin_lock(&si->cache_lock);
	SCHED_YIELD("xa_store", swap_cache_obj(slot), SCHED_OP_WRITE);
	si->cache[slot] = new;
	spin_unlock(&si->cache_lock);
	sched_wake_obj(swap_map_obj(slot));
	swap_read_folio(new, slot); /* synchronous: done when it returns */
	folio_unlock(new);
	return new;
}

void swap_writepage(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	VM_BUG_ON(!folio_test_swapcache(folio));
	uint32_t slot = folio->swap;
	/* folio_clear_dirty_for_io(): unmapped, nothing to write-protect */
	if (!folio_test_clear_dirty(folio))
		return;
	folio_start_writeback(folio);
	for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
		uint64_t v = folio_read_word(folio, w);
		uint32_t origin = oracle_data_origin(folio_pfn(folio), w);
		SCHED_YIELD("swap_write", swap_data_obj(slot), SCHED_OP_WRITE);
		si->slots[slot][w] = v;
		oracle_swap_set(slot, w, origin);
	}
	folio_end_writeback(folio);
}

/* Models: put_swap_folio(): the swap cache lets go of @slot. */
static void put_swap_folio(uint32_t slot)
{
	swapcache_clear(slot);
}

void delete_from_swap_cache(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	uint32_t slot = folio->swap;
	spin_lock(&si->cache_lock);
	SCHED_YIELD("xa_erase", swap_cache_obj(slot), SCHED_OP_WRITE);
	VM_WARN_ON(si->cache[slot] != folio);
	si->cache[slot] = NULL;
	(void)__folio_test_clear_flag(folio, PG_swapcache, MM_SITE("folio_clear_swapcache"));
	spin_unlock(&si->cache_lock);
	put_swap_folio(slot);
	folio_ref_sub(folio, 1); /* the swap cache's reference */
}

bool folio_free_swap(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	if (!folio_test_swapcache(folio) ||
	    __folio_test_flag(folio, PG_writeback, MM_SITE("folio_test_writeback")))
		return false;
	if (__swap_count(folio->swap)) /* folio_swapped() */
		return false;
	delete_from_swap_cache(folio);
	folio_mark_dirty(folio);
	return true;
}

/* Models: __try_to_reclaim_swap(TTRS_UNMAPPED | TTRS_FULL). */
static void try_to_reclaim_swap(uint32_t slot)
{
	struct folio *folio = swap_cache_get_folio(slot);
	if (!folio)
		return;
	if (folio_trylock(folio)) {
		if (folio_test_swapcache(folio) && folio->swap == slot && !folio_mapped(folio))
			(void)folio_free_swap(folio);
		folio_unlock(folio);
	}
	folio_put(folio);
}

void free_swap_and_cache(uint32_t slot)
{
	SCHED_ASSERT(slot < NR_SWAP_SLOTS);
	spin_lock(&si->lock);
	uint8_t left = swap_entry_put_locked(slot, "free_swap_and_cache");
	spin_unlock(&si->lock);
	if (left == SWAP_HAS_CACHE)
		try_to_reclaim_swap(slot);
}

void free_swap_cache(struct folio *folio)
{
	if (!folio_test_swapcache(folio))
		return;
	if (!folio_mapped(folio) && folio_trylock(folio)) {
		(void)folio_free_swap(folio);
		folio_unlock(folio);
	}
}
