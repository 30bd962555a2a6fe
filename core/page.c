/* SPDX-License-Identifier: MIT */
/*
 * Folios (see page.h).  Freeing happens when the last reference goes; the frame's
 * generation tells later users that it was freed (and maybe reused) under them.
 * The folio lock (PG_locked) is a sleeping bit lock: waiters block, as in
 * folio_wait_bit_common(), until folio_unlock() wakes them.
 */
#include "page.h"

#include <errno.h>
#include <string.h>

#include "oracle/events.h"

static void folio_check_live(struct folio *folio, const struct sched_site *site)
{
	if (!folio->allocated)
		sched_finding(mm_oracle_names[ORACLE_USE_AFTER_FREE], site, NULL, 0,
			      "access to freed frame %u by %s", folio_pfn(folio),
			      sched_agent_name(sched_current()));
}

struct folio *folio_alloc_order(int order)
{
	/* lowest free run: deterministic, and reuse of a just-freed frame is likely,
	 * which is what makes a stale reference observable */
	uint32_t nr = 1u << order;
	for (uint32_t pfn = 0; pfn + nr <= NR_FRAMES; pfn += nr) {
		bool free = true;
		for (uint32_t i = 0; i < nr && free; i++)
			free = !mm_world.frames[pfn + i].allocated;
		if (!free)
			continue;
		for (uint32_t i = 0; i < nr; i++) {
			struct folio *page = &mm_world.frames[pfn + i];
			uint32_t gen = page->gen + 1;
			memset(page, 0, sizeof(*page));
			page->gen = gen;
			page->allocated = true;
			page->page_idx = (uint8_t)i;
		}
		oracle_frame_alloc(pfn, (int)nr);
		mm_world.frames[pfn].order = (uint8_t)order;
		mm_world.frames[pfn].refcount = 1;
		return &mm_world.frames[pfn];
	}
	return NULL;
}

int __folio_ref_count(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	return folio->refcount;
}

void __folio_get(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->refcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "folio_get on frame %u with refcount %d", folio_pfn(folio),
			      folio->refcount);
	folio->refcount++;
}

void __folio_put(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->refcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "folio_put underflow on frame %u", folio_pfn(folio));
	/* a fault that could not bring a device page back waits for the
	 * references in its way (migrate_device_wait_idle()) */
	if (folio->flags >> PG_device_private & 1u)
		sched_wake_obj(folio_obj(folio));
	if (--folio->refcount)
		return;
	if (folio->mapcount)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "frame %u freed while still mapped %d times", folio_pfn(folio),
			      folio->mapcount);
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->allocated = false;
}

bool __page_pgmap(struct folio *page, struct sched_site *site)
{
	sched_yield(site, folio_obj(page_folio(page)), SCHED_OP_READ);
	folio_check_live(page, site);
	return page->flags >> PG_device_private & 1u;
}

int __folio_mapcount(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	return folio->mapcount;
}

bool __folio_test_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	return folio->flags >> f & 1u;
}

void __folio_set_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio->flags |= 1u << f;
}

bool __folio_test_clear_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	bool was = folio->flags >> f & 1u;
	folio->flags &= ~(1u << f);
	return was;
}

bool __folio_test_set_flag(struct folio *folio, enum pageflags f, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	bool was = folio->flags >> f & 1u;
	folio->flags |= 1u << f;
	return was;
}

/* Models: folio_mark_dirty() -> filemap_dirty_folio(): set PG_dirty (the page cache
 * dirty tag is implied by the flag here).  Returns true if it was clean. */
bool __folio_mark_dirty(struct folio *folio, struct sched_site *site)
{
	folio_check_live(folio, site);
	return !__folio_test_set_flag(folio, PG_dirty, site);
}

static uint32_t folio_lock_owners(const void *lock)
{
	(void)lock;
	return 0; /* the bit lock has no owner record; the report names the folio */
}

void __folio_lock(struct folio *folio, struct sched_site *site)
{
	might_sleep_site(site);
	while (__folio_test_set_flag(folio, PG_locked, site)) {
		struct sched_wait w = {.what = "folio_lock",
				       .name = "PG_locked",
				       .obj = folio_obj(folio),
				       .owners_fn = folio_lock_owners,
				       .lock = folio};
		sched_block(site, &w, true);
	}
}

void __folio_unlock(struct folio *folio, struct sched_site *site)
{
	if (!__folio_test_clear_flag(folio, PG_locked, site))
		VM_BUG_ON(!"folio_unlock of an unlocked folio");
	sched_wake_obj(folio_obj(folio));
}

void __folio_add_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	page->pg_mapcount++;
	folio->mapcount++;
}

/*
 * A new anon folio of @vma at @addr (index = linear page index, as the kernel):
 * not yet visible, so plain stores; mapped by one process only (RMAP_EXCLUSIVE).
 */
static void folio_set_new_anon(struct folio *folio, struct vm_area_struct *vma, unsigned long addr)
{
	SCHED_ASSERT(folio->flags >> PG_anon & 1u);
	SCHED_ASSERT(vma->anon_vma); /* anon_vma_prepare() ran when the VMA was linked */
	folio->anon_vma = vma->anon_vma;
	folio->index = vma->vm_pgoff + ((addr - vma->vm_start) >> PAGE_SHIFT);
	folio->flags |= 1u << PG_swapbacked;
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->flags |= 1u << PG_anon_exclusive;
	/* folio_add_lru_vma(), which every caller does right after: from now on
	 * reclaim may find it (never before its rmap and flags are set) */
	folio->flags |= 1u << PG_lru;
}

void __folio_add_new_anon_rmap(struct folio *folio, struct vm_area_struct *vma, unsigned long addr,
			       struct sched_site *site)
{
	folio_set_new_anon(folio, vma, addr);
	__folio_add_rmap_pte(folio, site);
}

void __folio_add_new_anon_rmap_ptes(struct folio *folio, struct vm_area_struct *vma,
				    unsigned long addr, int nr, struct sched_site *site)
{
	SCHED_ASSERT(nr == folio_nr_pages(folio));
	folio_set_new_anon(folio, vma, addr);
	for (int i = 0; i < nr; i++)
		__folio_add_rmap_pte(folio_page(folio, i), site);
}

bool __folio_try_get(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	if (!folio->allocated || folio->refcount <= 0)
		return false;
	folio->refcount++;
	return true;
}

void __folio_remove_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	if (page->pg_mapcount <= 0 || folio->mapcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "mapcount underflow on frame %u", folio_pfn(page));
	page->pg_mapcount--;
	folio->mapcount--;
}

uint64_t __folio_read_word(struct folio *folio, int word, struct sched_site *site)
{
	sched_yield(site, folio_data_obj(folio), SCHED_OP_READ);
	folio_check_live(folio, site);
	return folio->data[word];
}

void __folio_write_word(struct folio *folio, int word, uint64_t v, struct sched_site *site)
{
	sched_yield(site, folio_data_obj(folio), SCHED_OP_WRITE);
	folio_check_live(folio, site);
	folio->data[word] = v;
}

void __folio_ref_add(struct folio *folio, int refs, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->refcount + refs <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "reference count of frame %u would drop to %d", folio_pfn(folio),
			      folio->refcount + refs);
	folio->refcount += refs;
}

int __folio_try_dup_anon_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	if (page->flags >> PG_anon_exclusive & 1u) {
		if (folio->refcount >= GUP_PIN_COUNTING_BIAS &&
		    !knob_enabled(KNOB_FORK_SHARE_PINNED))
			return -EBUSY;
		page->flags &= ~(1u << PG_anon_exclusive);
	}
	page->pg_mapcount++;
	folio->mapcount++;
	return 0;
}

void __folio_copy_word(struct folio *dst, struct folio *src, int word, struct sched_site *site)
{
	uint64_t v = __folio_read_word(src, word, site);
	uint32_t origin = oracle_data_origin(folio_pfn(src), word);
	__folio_write_word(dst, word, v, site);
	oracle_data_set(folio_pfn(dst), word, origin);
}

void __folio_add_new_anon_rmap_pmd(struct folio *folio, struct vm_area_struct *vma,
				   unsigned long haddr, struct sched_site *site)
{
	folio_set_new_anon(folio, vma, haddr);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio->entire_mapcount++;
	folio->mapcount++;
}

void __folio_remove_rmap_pmd(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->entire_mapcount <= 0 || folio->mapcount <= 0)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], site, NULL, 0,
			      "entire mapcount underflow on frame %u", folio_pfn(folio));
	folio->entire_mapcount--;
	folio->mapcount--;
}

int __folio_try_dup_anon_rmap_pmd(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->flags >> PG_anon_exclusive & 1u) {
		if (folio->refcount >= GUP_PIN_COUNTING_BIAS &&
		    !knob_enabled(KNOB_FORK_SHARE_PINNED))
			return -EBUSY;
		for (int i = 0; i < folio_nr_pages(folio); i++)
			folio_page(folio, i)->flags &= ~(1u << PG_anon_exclusive);
	}
	folio->entire_mapcount++;
	folio->mapcount++;
	return 0;
}

bool __folio_likely_mapped_shared(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_READ);
	if (!folio_test_large(folio))
		return folio->mapcount > 1;
	return folio->entire_mapcount > 0 || folio_page(folio, 0)->pg_mapcount > 1;
}

void __folio_set_anon_exclusive_pmd(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->flags |= 1u << PG_anon_exclusive;
}

void __folio_split_pmd_mapping(struct folio *folio, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	folio->entire_mapcount--;
	folio->mapcount += folio_nr_pages(folio) - 1;
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->pg_mapcount++;
}

int __folio_try_share_anon_rmap_pte(struct folio *page, struct sched_site *site)
{
	struct folio *folio = page_folio(page);
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(page, site);
	if (folio->refcount >= GUP_PIN_COUNTING_BIAS) /* folio_maybe_dma_pinned() */
		return -EBUSY;
	page->flags &= ~(1u << PG_anon_exclusive);
	return 0;
}

bool __folio_ref_freeze(struct folio *folio, int count, struct sched_site *site)
{
	sched_yield(site, folio_obj(folio), SCHED_OP_RMW);
	folio_check_live(folio, site);
	if (folio->refcount != count)
		return false;
	folio->refcount = 0;
	return true;
}

/* No yield: a frozen folio is nobody else's. */
void folio_ref_unfreeze(struct folio *folio, int count)
{
	SCHED_ASSERT(folio->refcount == 0 && folio->allocated);
	folio->refcount = count;
}

void folio_free_frozen(struct folio *folio)
{
	SCHED_ASSERT(folio->refcount == 0 && folio->allocated);
	if (folio->mapcount)
		sched_finding(mm_oracle_names[ORACLE_REFCOUNT], MM_SITE("free_unref_folios"), NULL,
			      0, "frame %u freed while still mapped %d times", folio_pfn(folio),
			      folio->mapcount);
	for (int i = 0; i < folio_nr_pages(folio); i++)
		folio_page(folio, i)->allocated = false;
}
