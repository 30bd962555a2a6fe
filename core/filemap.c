/* SPDX-License-Identifier: MIT */
/* Page cache and writeback (see filemap.h). */
#include "filemap.h"

#include "oracle/events.h"
#include "page.h"
#include "rmap.h"

static uint32_t mapping_obj(const struct address_space *mapping, unsigned long index)
{
	return SCHED_OBJ(OBJ_MAPPING, (uint32_t)mapping->id * FILE_PAGES + (uint32_t)index);
}

static uint32_t disk_obj(const struct address_space *mapping, unsigned long index)
{
	return SCHED_OBJ(OBJ_DISK, (uint32_t)mapping->id * FILE_PAGES + (uint32_t)index);
}

/*
 * Models: filemap_get_folio(FGP_CREAT) + filemap_read_folio(): look up under RCU;
 * on a miss allocate, fill from disk, and insert under the xarray lock unless
 * another CPU inserted first.  Returns NULL on -ENOMEM.
 */
struct folio *filemap_get_folio(struct address_space *mapping, unsigned long index)
{
	SCHED_ASSERT(index < FILE_PAGES);
	for (;;) {
		rcu_read_lock();
		SCHED_YIELD("xa_load", mapping_obj(mapping, index), SCHED_OP_READ);
		struct folio *folio = mapping->pages[index];
		if (folio) {
			folio_get(folio);
			rcu_read_unlock();
			return folio;
		}
		rcu_read_unlock();
		struct folio *new = folio_alloc();
		if (!new)
			return NULL;
		new->mapping = mapping;
		new->index = index;
		for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
			SCHED_YIELD("read_disk", disk_obj(mapping, index), SCHED_OP_READ);
			new->data[w] = mapping->disk[index][w];
			oracle_data_set(folio_pfn(new), w,
					oracle_disk_origin(mapping->id, index, w));
		}
		new->flags |= 1u << PG_uptodate;
		spin_lock(&mapping->i_pages_lock);
		SCHED_YIELD("xa_store", mapping_obj(mapping, index), SCHED_OP_WRITE);
		if (!mapping->pages[index]) {
			mapping->pages[index] = new; /* the page cache's reference */
			mapping->present |= 1u << index;
			new->flags |= 1u << PG_lru; /* filemap_add_folio(): on the LRU */
			folio_get(new);
			spin_unlock(&mapping->i_pages_lock);
			return new;
		}
		spin_unlock(&mapping->i_pages_lock);
		folio_put(new); /* lost the race: use theirs */
	}
}

/*
 * Models: folio_clear_dirty_for_io().  Context: folio locked.
 * Returns true if the folio was dirty and must be written.
 */
bool folio_clear_dirty_for_io(struct folio *folio)
{
	VM_BUG_ON(!folio_test_locked(folio));
	if (folio_mkclean(folio))
		folio_mark_dirty(folio);
	return folio_test_clear_dirty(folio);
}

/* Models: write_cache_pages() + the filesystem's writepage: copy to disk. */
void do_writepages(struct address_space *mapping)
{
	/* the xarray walk skips empty slots without touching them; a page another CPU
	 * inserts ahead of the walk meanwhile is met (present is read at each step) */
	for (unsigned long index = 0; index < FILE_PAGES; index++) {
		uint32_t ahead = mapping->present >> index;
		if (!ahead)
			break;
		index += (unsigned long)__builtin_ctz(ahead);
		SCHED_YIELD("xa_load", mapping_obj(mapping, index), SCHED_OP_READ);
		struct folio *folio = mapping->pages[index];
		if (!folio_test_dirty(folio))
			continue; /* the dirty-tag lookup would not return it */
		folio_get(folio);
		folio_lock(folio);
		if (folio_clear_dirty_for_io(folio)) {
			folio_start_writeback(folio);
			for (int w = 0; w < MM_WORDS_PER_PAGE; w++) {
				uint64_t v = folio_read_word(folio, w);
				uint32_t origin = oracle_data_origin(folio_pfn(folio), w);
				SCHED_YIELD("write_disk", disk_obj(mapping, index), SCHED_OP_WRITE);
				mapping->disk[index][w] = v;
				oracle_disk_set(mapping->id, index, w, origin);
			}
			folio_end_writeback(folio);
		}
		folio_unlock(folio);
		folio_put(folio);
	}
}
